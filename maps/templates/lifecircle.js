/* lifecircle map runtime: builds the overlay layers from compact column specs.
 *
 * Every text value that came from an input file is escaped by `esc` before it reaches HTML
 * (popups and tooltips), so markup in a facility name shows as text.
 * `window.lifecircle` exposes the map and its layers by name for tests.
 */
(function () {
  "use strict";
  var lc = (window.lifecircle = window.lifecircle || {});
  lc.layers = lc.layers || {};
  lc.counts = lc.counts || {};
  lc.errors = lc.errors || [];
  lc.ready = false;
  window.addEventListener("error", function (e) {
    lc.errors.push(String(e && e.message));
  });

  var ENT = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  lc.esc = function (s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return ENT[c];
    });
  };

  function num(v, digits, locale) {
    return Number(v).toLocaleString(locale, {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  }

  /* Format one value for a popup; returns escaped HTML. */
  lc.fmt = function (v, kind, labels) {
    var locale = labels.locale || "zh-CN";
    if (kind === "min") {
      if (v === null || v === undefined || !isFinite(v)) return lc.esc(labels.unreached);
      return num(v / 60, 1, locale) + " " + lc.esc(labels.min);
    }
    if (v === null || v === undefined || v === "" || (typeof v === "number" && isNaN(v))) {
      return lc.esc(labels.none);
    }
    switch (kind) {
      case "int":
        return num(v, 0, locale);
      case "people":
        return num(v, 0, locale) + " " + lc.esc(labels.people);
      case "num":
        return num(v, 1, locale);
      case "pct":
        return num(100 * v, 1, locale) + "%";
      case "km2":
        return num(v / 1e6, 2, locale);
      case "km":
        return num(v / 1000, 2, locale);
      default:
        return lc.esc(v);
    }
  };

  lc.popupHtml = function (spec, i) {
    var p = spec.popup || {};
    var cols = spec.cols;
    var html = "";
    var title = p.title_col ? cols[p.title_col][i] : p.title;
    if (title !== null && title !== undefined && title !== "") {
      html += '<div class="lc-popup-title">' + lc.esc(title) + "</div>";
    }
    if (p.note_col && cols[p.note_col][i]) {
      html += '<div class="lc-popup-note">' + lc.esc(cols[p.note_col][i]) + "</div>";
    }
    html += '<table class="lc-popup-table">';
    (p.rows || []).forEach(function (row) {
      var v = cols[row[1]] ? cols[row[1]][i] : null;
      if (row[3] && (v === null || v === undefined || v === "")) return; // optional row
      html += "<tr><th>" + lc.esc(row[0]) + "</th><td>" + lc.fmt(v, row[2], spec.labels) + "</td></tr>";
    });
    return html + "</table>";
  };

  /* The hover text of feature i: one column, or several columns with their formats, joined. */
  lc.tipText = function (spec, i) {
    var parts = [];
    var cols = typeof spec.tooltip === "string" ? [[spec.tooltip, "text"]] : spec.tooltip || [];
    cols.forEach(function (c) {
      var tip = spec.cols[c[0]] ? spec.cols[c[0]][i] : null;
      if (tip === null || tip === undefined || tip === "") return;
      parts.push(c[1] === "text" ? lc.esc(tip) : lc.fmt(tip, c[1], spec.labels));
    });
    return parts.length ? parts.join(" · ") : null;
  };

  function bind(spec, layer, i) {
    if (spec.popup) {
      layer.bindPopup(function () {
        return lc.popupHtml(spec, i);
      }, { maxWidth: 360 });
    }
    if (spec.tooltip && !spec.tipGroup) {
      var tip = lc.tipText(spec, i);
      if (tip !== null) layer.bindTooltip(tip, { sticky: spec.kind === "shapes" });
    }
  }

  function points(spec, group) {
    for (var i = 0; i < spec.x.length; i++) {
      var m = L.circleMarker(lc.ll(spec.y[i], spec.x[i]), spec.styles[spec.cls[i]]);
      m.lcIndex = i;
      bind(spec, m, i);
      group.addLayer(m);
    }
  }

  function shapes(spec, group) {
    group.addData({
      type: "FeatureCollection",
      features: spec.geoms.map(function (g, i) {
        return { type: "Feature", geometry: g, properties: { _i: i } };
      }),
    });
  }

  function sites(spec, group) {
    for (var i = 0; i < spec.x.length; i++) {
      var st = spec.styles[spec.cls[i]];
      var icon = L.divIcon({
        className: "lc-site",
        html:
          '<span style="background:' + lc.esc(st.fillColor) + ";border-color:" + lc.esc(st.color) + '">' +
          lc.esc(spec.cols.rank[i]) + "</span>",
        iconSize: [26, 26],
        iconAnchor: [13, 13],
      });
      var m = L.marker(lc.ll(spec.y[i], spec.x[i]), { icon: icon, riseOnHover: true });
      bind(spec, m, i);
      group.addLayer(m);
    }
  }

  var FILL = { points: points, shapes: shapes, sites: sites };

  /* Build one overlay from its spec and register it under its display name.
   * The features are created the first time the layer is shown, so hidden layers cost nothing
   * at load time; `layer.lcFill()` creates them on demand. A layer of many points
   * (`spec.tipGroup`) has one hover tooltip for all its points. */
  lc.specs = lc.specs || {};
  lc.build = function (spec) {
    var group =
      spec.kind === "shapes"
        ? L.geoJSON(null, {
            style: function (f) {
              return spec.styles[spec.cls[f.properties._i]];
            },
            coordsToLatLng: function (c) {
              return lc.ll(c[1], c[0]);
            },
            onEachFeature: function (f, layer) {
              bind(spec, layer, f.properties._i);
            },
          })
        : L.featureGroup();
    if (spec.tipGroup && spec.tooltip) {
      group.bindTooltip(function (layer) {
        return lc.tipText(spec, layer.lcIndex) || "";
      });
    }
    group.lcFilled = false;
    group.lcFill = function () {
      if (!group.lcFilled) {
        group.lcFilled = true;
        FILL[spec.kind](spec, group);
      }
      return group;
    };
    group.on("add", group.lcFill);
    lc.layers[spec.name] = group;
    lc.specs[spec.name] = spec;
    lc.counts[spec.name] = spec.kind === "shapes" ? spec.geoms.length : spec.x.length;
    return group;
  };
})();

/* The page around the layers: the side panel, the switch between the two states, the basemap
 * switch (moving every overlay by the GCJ-02 shift when the tiles' datum differs from the
 * tables'), the scale, fitting the study area into the free part of the map, printing. */
(function () {
  "use strict";
  var lc = window.lifecircle;

  /* GCJ-02 offset at WGS84 (lng, lat), as lifecircle.geodata.crs computes it. */
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  function inChina(lng, lat) {
    return lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
  }
  function delta(lng, lat) {
    var x = lng - 105.0;
    var y = lat - 35.0;
    var sq = Math.sqrt(Math.abs(x));
    var PI = Math.PI;
    var dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq;
    dlat += ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
    dlat += ((20.0 * Math.sin(y * PI) + 40.0 * Math.sin((y / 3.0) * PI)) * 2.0) / 3.0;
    dlat += ((160.0 * Math.sin((y / 12.0) * PI) + 320.0 * Math.sin((y * PI) / 30.0)) * 2.0) / 3.0;
    var dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq;
    dlng += ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
    dlng += ((20.0 * Math.sin(x * PI) + 40.0 * Math.sin((x / 3.0) * PI)) * 2.0) / 3.0;
    dlng += ((150.0 * Math.sin((x / 12.0) * PI) + 300.0 * Math.sin((x / 30.0) * PI)) * 2.0) / 3.0;
    var rad = (lat / 180.0) * PI;
    var magic = 1.0 - EE * Math.sin(rad) * Math.sin(rad);
    var sm = Math.sqrt(magic);
    return [
      (dlng * 180.0) / ((A / sm) * Math.cos(rad) * PI),
      (dlat * 180.0) / (((A * (1.0 - EE)) / (magic * sm)) * PI),
    ];
  }
  lc.toGcj = function (lat, lng) {
    if (!inChina(lng, lat)) return [lat, lng];
    var d = delta(lng, lat);
    return [lat + d[1], lng + d[0]];
  };
  lc.toWgs = function (lat, lng) {
    var wlat = lat;
    var wlng = lng;
    for (var k = 0; k < 8; k++) {
      var d = delta(wlng, wlat);
      wlat = lat - d[1];
      wlng = lng - d[0];
    }
    return inChina(wlng, wlat) ? [wlat, wlng] : [lat, lng];
  };

  /* Where a table's (lat, lng) is drawn: as given, or shifted to the datum of the tiles shown. */
  lc.dataDatum = "wgs84";
  lc.shownDatum = "wgs84";
  lc.ll = function (lat, lng) {
    if (lc.shownDatum === lc.dataDatum) return [lat, lng];
    return lc.shownDatum === "gcj02" ? lc.toGcj(lat, lng) : lc.toWgs(lat, lng);
  };

  function byId(id) {
    return document.getElementById(id);
  }

  /* Redraw every filled overlay (after the datum of the tiles changed). */
  function redraw() {
    Object.keys(lc.layers).forEach(function (name) {
      var group = lc.layers[name];
      if (!group.lcFilled) return;
      group.clearLayers();
      group.lcFilled = false;
      if (lc.map.hasLayer(group)) group.lcFill();
    });
  }

  lc.setView = function (view) {
    lc.view = view;
    Object.keys(lc.specs).forEach(function (name) {
      var spec = lc.specs[name];
      var group = lc.layers[name];
      if (!spec.view) return;
      if (spec.view === view && spec.show) lc.map.addLayer(group);
      else if (spec.view !== view) lc.map.removeLayer(group);
    });
    document.querySelectorAll("[data-view]").forEach(function (el) {
      el.style.display = el.getAttribute("data-view") === view ? "" : "none";
    });
    var radio = document.querySelector('input[name="lc-view"][value="' + view + '"]');
    if (radio) radio.checked = true;
  };

  var tiles = [];
  lc.setBasemap = function (id, key) {
    var opt = (lc.config.basemaps.options || []).filter(function (o) {
      return o.id === id;
    })[0];
    if (!opt) return false;
    var box = byId("lc-key");
    if (opt.needsKey && !key) {
      if (box) box.hidden = false;
      return false;
    }
    if (key && !/^[A-Za-z0-9]{8,64}$/.test(key)) {
      if (box) box.hidden = false;
      return false;
    }
    if (box) box.hidden = true;
    tiles.forEach(function (layer) {
      lc.map.removeLayer(layer);
    });
    tiles = opt.tiles.map(function (url) {
      var layer = L.tileLayer(key ? url.replace("{key}", key) : url, {
        subdomains: opt.subdomains || "abc",
        attribution: lc.esc(opt.attr || ""),
        maxZoom: opt.maxZoom || 18,
      });
      layer.addTo(lc.map);
      layer.bringToBack();
      return layer;
    });
    var datum = opt.datum || lc.dataDatum;
    if (datum !== lc.shownDatum) {
      // keep the same place under the centre: back to the tables' datum, then to the new one
      var c = lc.map.getCenter();
      var at = [c.lat, c.lng];
      if (lc.shownDatum !== lc.dataDatum) {
        at = lc.shownDatum === "gcj02" ? lc.toWgs(c.lat, c.lng) : lc.toGcj(c.lat, c.lng);
      }
      lc.shownDatum = datum;
      redraw();
      lc.map.setView(lc.ll(at[0], at[1]), lc.map.getZoom(), { animate: false });
    }
    lc.basemap = id;
    var radio = document.querySelector('input[name="lc-basemap"][value="' + id + '"]');
    if (radio) radio.checked = true;
    return true;
  };

  /* Fit the study area into the part of the map the side panel leaves free. */
  lc.fit = function () {
    var b = lc.config.bounds;
    var sw = lc.ll(b[1], b[0]);
    var ne = lc.ll(b[3], b[2]);
    var side = byId("lc-side");
    var left = 12;
    if (side && !side.hidden) left = side.offsetLeft + side.offsetWidth + 16;
    var right = 16;
    var zoom = document.querySelector(".leaflet-control-zoom");
    if (zoom) right = zoom.offsetWidth + 24;
    lc.map.fitBounds([sw, ne], { paddingTopLeft: [left, 16], paddingBottomRight: [right, 36], animate: false });
  };

  lc.setup = function (config) {
    lc.config = config;
    lc.dataDatum = lc.shownDatum = config.datum;
    L.control
      .scale({ metric: true, imperial: config.lang === "en", position: "bottomright" })
      .addTo(lc.map);
    var control = document.querySelector(".leaflet-control-layers");
    var box = byId("lc-layers-box");
    if (control && box) {
      box.appendChild(control);
      L.DomEvent.disableClickPropagation(control);
    }
    var side = byId("lc-side");
    if (side) {
      L.DomEvent.disableClickPropagation(side);
      L.DomEvent.disableScrollPropagation(side);
    }
    document.querySelectorAll('input[name="lc-view"]').forEach(function (el) {
      el.addEventListener("change", function () {
        lc.setView(el.value);
      });
    });
    document.querySelectorAll('input[name="lc-basemap"]').forEach(function (el) {
      el.addEventListener("change", function () {
        lc.setBasemap(el.value);
      });
    });
    var apply = byId("lc-key-apply");
    if (apply) {
      apply.addEventListener("click", function () {
        lc.setBasemap("tianditu", byId("lc-key-input").value.trim());
      });
    }
    var show = byId("lc-show");
    byId("lc-hide").addEventListener("click", function () {
      side.hidden = true;
      show.hidden = false;
    });
    show.addEventListener("click", function () {
      side.hidden = false;
      show.hidden = true;
    });
    byId("lc-fit").addEventListener("click", lc.fit);
    byId("lc-print").addEventListener("click", function () {
      window.print();
    });
    if (config.views) lc.setView(config.view);
    if (config.basemaps.start !== "none") lc.setBasemap(config.basemaps.start);
    lc.fit();
  };
})();
