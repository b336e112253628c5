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

  function bind(spec, layer, i) {
    layer.bindPopup(function () {
      return lc.popupHtml(spec, i);
    }, { maxWidth: 360 });
    if (spec.tooltip && spec.cols[spec.tooltip]) {
      var tip = spec.cols[spec.tooltip][i];
      if (tip !== null && tip !== undefined && tip !== "") {
        layer.bindTooltip(lc.esc(tip), { sticky: spec.kind === "shapes" });
      }
    }
  }

  function points(spec, group) {
    for (var i = 0; i < spec.x.length; i++) {
      var m = L.circleMarker([spec.y[i], spec.x[i]], spec.styles[spec.cls[i]]);
      if (spec.popup) bind(spec, m, i);
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
      var m = L.marker([spec.y[i], spec.x[i]], { icon: icon, riseOnHover: true });
      bind(spec, m, i);
      group.addLayer(m);
    }
  }

  var FILL = { points: points, shapes: shapes, sites: sites };

  /* Build one overlay from its spec and register it under its display name.
   * The features are created the first time the layer is shown, so hidden layers cost nothing
   * at load time; `layer.lcFill()` creates them on demand. */
  lc.build = function (spec) {
    var group =
      spec.kind === "shapes"
        ? L.geoJSON(null, {
            style: function (f) {
              return spec.styles[spec.cls[f.properties._i]];
            },
            onEachFeature: function (f, layer) {
              if (spec.popup) bind(spec, layer, f.properties._i);
            },
          })
        : L.featureGroup();
    var filled = false;
    group.lcFill = function () {
      if (!filled) {
        filled = true;
        FILL[spec.kind](spec, group);
      }
      return group;
    };
    group.on("add", group.lcFill);
    lc.layers[spec.name] = group;
    lc.counts[spec.name] = spec.kind === "shapes" ? spec.geoms.length : spec.x.length;
    return group;
  };
})();
