/* lifecircle what-if: open and close sites in the page, coverage recomputed from the embedded
 * home × site walking times (CSR, whole seconds), exactly as `lifecircle run` counts it: a home is
 * covered when the least time over the open sites is at most its threshold.
 *
 * Per home it keeps the best time over the open sites (opening a site lowers it along the site's
 * column; closing one rescans the rows whose best came from it), then recounts people by group and
 * unit in one pass over typed arrays. The payload is read with JSON.parse; every text reaches the
 * page through textContent. `window.lifecircleWhatIf` is the API the tests drive.
 */
(function () {
  "use strict";
  var W = (window.lifecircleWhatIf = window.lifecircleWhatIf || {});
  W.errors = [];
  W.ready = false;
  W.timings = [];
  var NONE = 65535;
  var KINDS = ["existing", "proposed", "candidate", "planned"];
  var EXISTING = 0;
  var COLORS = { kept: "#1a9850", fresh: "#2166ac", lost: "#d73027", out: "#f4a582" };
  var D = null;
  var TX = {};
  var H = null; // homes: n, x/y (projected at zoom 0), weights
  var map = null;
  var ui = {};
  var services = {};
  var S = null; // the shown service's state
  var expanded = false;

  function tx(key, fields) {
    var s = TX[key] === undefined ? key : TX[key];
    return s.replace(/\{(\w+)\}/g, function (m, k) {
      return fields && fields[k] !== undefined ? String(fields[k]) : m;
    });
  }
  function fmtInt(v) {
    return Math.round(v).toLocaleString(D.locale);
  }
  function fmt1(v) {
    return v.toLocaleString(D.locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
  function fmtPct(v) {
    return isFinite(v) ? fmt1(100 * v) + "%" : "—";
  }
  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function decode(spec) {
    var bin = atob(spec.b64);
    var buf = new ArrayBuffer(bin.length);
    var u8 = new Uint8Array(buf);
    for (var i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
    if (spec.dtype === "u1") return u8;
    if (spec.dtype === "u2") return new Uint16Array(buf);
    if (spec.dtype === "u4") return new Uint32Array(buf);
    if (spec.dtype === "f8") return new Float64Array(buf);
    throw new Error("unknown dtype " + spec.dtype);
  }

  /* Where a WGS84 point is drawn: shifted to GCJ-02 when the tiles shown are in GCJ-02. */
  function ll(lat, lng) {
    var lc = window.lifecircle;
    if (lc && lc.shownDatum === "gcj02" && lc.toGcj) return lc.toGcj(lat, lng);
    return [lat, lng];
  }
  function project(lat, lng) {
    var p = ll(lat, lng);
    return map.options.crs.latLngToPoint(L.latLng(p[0], p[1]), 0);
  }

  // -- homes -------------------------------------------------------------------------------------

  function loadHomes() {
    var h = D.homes;
    H = { n: h.n, lon: decode(h.lon), lat: decode(h.lat), w: {}, labels: h.labels || {} };
    Object.keys(h.weights).forEach(function (g) {
      H.w[g] = decode(h.weights[g]);
    });
    H.levels = (D.levels || []).map(function (lv) {
      return { scope: lv.scope, label: lv.label, codes: lv.codes, names: lv.names, idx: decode(lv.idx) };
    });
    projectHomes();
  }
  function projectHomes() {
    H.x = new Float64Array(H.n);
    H.y = new Float64Array(H.n);
    for (var i = 0; i < H.n; i++) {
      var p = project(H.lat[i], H.lon[i]);
      H.x[i] = p.x;
      H.y[i] = p.y;
    }
    H.datum = window.lifecircle ? window.lifecircle.shownDatum : "wgs84";
  }

  // -- one service's state -----------------------------------------------------------------------

  function makeService(spec) {
    var s = { spec: spec, key: spec.key };
    s.indptr = decode(spec.indptr);
    s.indices = decode(spec.indices);
    s.times = decode(spec.times);
    s.thr = decode(spec.thr);
    var st = spec.sites;
    s.nSites = st.id.length;
    s.kind = decode(st.kind);
    s.lon = decode(st.lon);
    s.lat = decode(st.lat);
    s.lonGcj = decode(st.lon_gcj);
    s.latGcj = decode(st.lat_gcj);
    s.byId = {};
    for (var j = s.nSites - 1; j >= 0; j--) s.byId[st.id[j]] = j;
    transpose(s);
    names(s);
    s.maxThr = 0;
    for (var i = 0; i < s.thr.length; i++) if (s.thr[i] > s.maxThr) s.maxThr = s.thr[i];
    s.minThr = s.maxThr;
    for (i = 0; i < s.thr.length; i++) if (s.thr[i] < s.minThr) s.minThr = s.thr[i];
    s.nBins = Math.max(1, Math.ceil(s.maxThr / 60));
    s.open = new Uint8Array(s.nSites);
    for (j = 0; j < s.nSites; j++) s.open[j] = s.kind[j] === EXISTING ? 1 : 0;
    s.baseOpen = s.open.slice();
    s.placed = new Uint8Array(s.nSites);
    s.best = new Uint16Array(H.n);
    s.cov = new Uint8Array(H.n);
    s.history = [];
    rebuildBest(s);
    s.flips = new Uint32Array(H.n);
    s.mark = new Uint8Array(s.nSites);
    s.gain = new Float64Array(s.nSites);
    coverage(s);
    regain(s, true);
    s.baseCov = s.cov.slice();
    s.base = aggregate(s);
    return s;
  }

  /* The site-major copy of the matrix (CSC): the homes each site reaches, with their times. */
  function transpose(s) {
    var nnz = s.indices.length;
    var cp = new Uint32Array(s.nSites + 1);
    for (var k = 0; k < nnz; k++) cp[s.indices[k] + 1]++;
    for (var j = 0; j < s.nSites; j++) cp[j + 1] += cp[j];
    var fill = cp.slice(0, s.nSites);
    var rows = new Uint32Array(nnz);
    var ct = new Uint16Array(nnz);
    var n = s.indptr.length - 1;
    for (var i = 0; i < n; i++) {
      for (k = s.indptr[i]; k < s.indptr[i + 1]; k++) {
        var p = fill[s.indices[k]]++;
        rows[p] = i;
        ct[p] = s.times[k];
      }
    }
    s.cp = cp;
    s.rows = rows;
    s.ct = ct;
  }

  /* Display names: the payload's, else the kind, its ordinal and the nearest named street
   * ("candidate 12 (near X Road)"). */
  function names(s) {
    var count = [0, 0, 0, 0];
    var near = s.spec.sites.near || [];
    s.names = s.spec.sites.name.map(function (name, j) {
      var k = s.kind[j];
      count[k] += 1;
      if (name) return name;
      if (k === EXISTING) return tx("name_existing", { n: count[k] });
      var f = { n: count[k], street: near[j] };
      return near[j] ? tx("name_candidate_near", f) : tx("name_candidate", f);
    });
  }

  function rebuildBest(s) {
    s.best.fill(NONE);
    for (var j = 0; j < s.nSites; j++) if (s.open[j]) lower(s, j);
  }
  function lower(s, j) {
    var best = s.best;
    for (var p = s.cp[j]; p < s.cp[j + 1]; p++) {
      var i = s.rows[p];
      if (s.ct[p] < best[i]) best[i] = s.ct[p];
    }
  }
  function openSite(s, j) {
    if (s.open[j]) return false;
    s.open[j] = 1;
    lower(s, j);
    return true;
  }
  function closeSite(s, j) {
    if (!s.open[j]) return false;
    s.open[j] = 0;
    for (var p = s.cp[j]; p < s.cp[j + 1]; p++) {
      var i = s.rows[p];
      if (s.best[i] !== s.ct[p]) continue;
      var b = NONE;
      for (var k = s.indptr[i]; k < s.indptr[i + 1]; k++) {
        if (s.open[s.indices[k]] && s.times[k] < b) b = s.times[k];
      }
      s.best[i] = b;
    }
    return true;
  }

  /* Each home's coverage from its best time; the homes whose coverage changed go to s.flips. */
  function coverage(s) {
    var n = H.n;
    var thr = s.thr;
    var best = s.best;
    var cov = s.cov;
    var nf = 0;
    for (var i = 0; i < n; i++) {
      var c = best[i] <= thr[i] ? 1 : 0;
      if (c !== cov[i]) {
        cov[i] = c;
        s.flips[nf++] = i;
      }
    }
    s.nFlips = nf;
  }

  /* People within reach by group and unit, and the primary group's walking-time histogram. */
  function aggregate(s) {
    var n = H.n;
    var best = s.best;
    var cov = s.cov;
    var out = { groups: {}, units: [], hist: new Float64Array(s.nBins + 1) };
    s.spec.groups.forEach(function (g) {
      var w = H.w[g];
      var tot = 0;
      var c = 0;
      for (var i = 0; i < n; i++) {
        tot += w[i];
        if (cov[i]) c += w[i];
      }
      out.groups[g] = { people: tot, covered: c };
    });
    H.levels.forEach(function (lv) {
      var per = {};
      s.spec.groups.forEach(function (g) {
        var w = H.w[g];
        var tot = new Float64Array(lv.codes.length);
        var c = new Float64Array(lv.codes.length);
        for (var i = 0; i < n; i++) {
          var u = lv.idx[i];
          tot[u] += w[i];
          if (cov[i]) c[u] += w[i];
        }
        per[g] = { people: tot, covered: c };
      });
      out.units.push(per);
    });
    var wp = H.w[s.spec.group];
    var last = s.nBins - 1;
    for (var i = 0; i < n; i++) {
      var b = best[i] === NONE ? s.nBins : Math.min(last, Math.floor(best[i] / 60));
      out.hist[b] += wp[i];
    }
    return out;
  }

  /* People of the service's group a site would bring within reach (its gain), summed over its
   * column in a fixed order: the same number whether computed for all sites or some. */
  function gainOf(s, w, j) {
    var g = 0;
    for (var p = s.cp[j]; p < s.cp[j + 1]; p++) {
      var i = s.rows[p];
      if (!s.cov[i] && s.ct[p] <= s.thr[i]) g += w[i];
    }
    return g;
  }

  /* Gains again for the sites that reach a home whose coverage changed (all sites with ``all``). */
  function regain(s, all) {
    var w = H.w[s.spec.group];
    var j;
    if (all) {
      for (j = 0; j < s.nSites; j++) s.gain[j] = gainOf(s, w, j);
      return;
    }
    var list = [];
    for (var f = 0; f < s.nFlips; f++) {
      var i = s.flips[f];
      for (var k = s.indptr[i]; k < s.indptr[i + 1]; k++) {
        j = s.indices[k];
        if (!s.mark[j]) {
          s.mark[j] = 1;
          list.push(j);
        }
      }
    }
    for (var q = 0; q < list.length; q++) {
      j = list[q];
      s.mark[j] = 0;
      s.gain[j] = gainOf(s, w, j);
    }
  }

  /* The closed new site (not an existing facility) that brings the most people of the service's
   * group within reach, and that number; the lowest index among equal gains. */
  function bestNext(s) {
    var bj = -1;
    var bg = 0;
    for (var j = 0; j < s.nSites; j++) {
      if (s.open[j] || s.kind[j] === EXISTING) continue;
      if (s.gain[j] > bg) {
        bg = s.gain[j];
        bj = j;
      }
    }
    return bj < 0 ? null : { j: bj, gain: bg };
  }

  // -- the map's layers ---------------------------------------------------------------------------

  var HomesLayer = null;
  function homesLayerClass() {
    return L.Layer.extend({
      onAdd: function () {
        this._c = L.DomUtil.create("canvas", "lc-wi-homes leaflet-zoom-hide");
        map.getPane("lcWhatIfHomes").appendChild(this._c);
        map.on("moveend zoomend resize viewreset", this.draw, this);
        this.draw();
      },
      onRemove: function () {
        L.DomUtil.remove(this._c);
        map.off("moveend zoomend resize viewreset", this.draw, this);
      },
      draw: function () {
        if (!this._c || !S) return;
        drawHomes(this._c);
      },
    });
  }

  /* The homes as small squares written straight into the canvas's pixels, coloured by their
   * state against today: kept, newly covered, lost, not covered (drawn in that order of rising
   * priority). */
  function drawHomes(c) {
    var size = map.getSize();
    var dpr = window.devicePixelRatio || 1;
    var wpx = Math.max(1, Math.round(size.x * dpr));
    var hpx = Math.max(1, Math.round(size.y * dpr));
    var tl = map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(c, tl);
    if (c.width !== wpx || c.height !== hpx) {
      c.width = wpx;
      c.height = hpx;
      c.style.width = size.x + "px";
      c.style.height = size.y + "px";
    }
    var g = c.getContext("2d");
    if (!c.lcImage || c.lcImage.width !== wpx || c.lcImage.height !== hpx) {
      c.lcImage = g.createImageData(wpx, hpx);
      c.lcPixels = new Uint32Array(c.lcImage.data.buffer);
    }
    var px = c.lcPixels;
    px.fill(0);
    var z = map.getZoom();
    var scale = Math.pow(2, z) * dpr;
    var org = map.getPixelOrigin();
    var ox = (org.x + tl.x) * dpr;
    var oy = (org.y + tl.y) * dpr;
    var d = Math.max(2, Math.round((z >= 16 ? 7 : z >= 14 ? 5 : 4) * dpr));
    var cov = S.cov;
    var base = S.baseCov;
    [
      ["out", 0, 0],
      ["kept", 1, 1],
      ["fresh", 1, 0],
      ["lost", 0, 1],
    ].forEach(function (pass) {
      var col = rgba(COLORS[pass[0]]);
      for (var i = 0; i < H.n; i++) {
        if (cov[i] !== pass[1] || base[i] !== pass[2]) continue;
        var x0 = Math.round(H.x[i] * scale - ox) - (d >> 1);
        var y0 = Math.round(H.y[i] * scale - oy) - (d >> 1);
        if (x0 < 0 || y0 < 0 || x0 + d > wpx || y0 + d > hpx) continue;
        for (var dy = 0; dy < d; dy++) {
          var row = (y0 + dy) * wpx + x0;
          for (var dx = 0; dx < d; dx++) px[row + dx] = col;
        }
      }
    });
    g.putImageData(c.lcImage, 0, 0);
  }

  /* A #rrggbb colour as one opaque pixel of a little-endian Uint32 view of RGBA bytes. */
  function rgba(hex) {
    var v = parseInt(hex.slice(1), 16);
    return ((255 << 24) | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff)) >>> 0;
  }

  /* Closed candidates are small rings, smaller still below zoom 15 where they crowd. */
  function candidateRadius() {
    return map.getZoom() >= 15 ? 4 : 2.5;
  }

  function siteStyle(s, j) {
    var k = KINDS[s.kind[j]];
    var open = s.open[j] === 1;
    if (k === "existing") {
      return open
        ? { radius: 7, color: "#ffffff", weight: 2, fillColor: "#00441b", fillOpacity: 1, dashArray: null }
        : { radius: 7, color: "#00441b", weight: 2, fillColor: "#d9d9d9", fillOpacity: 0.9, dashArray: "3 3" };
    }
    if (k === "proposed") {
      return open
        ? { radius: 7, color: "#7f3b08", weight: 2, fillColor: "#f46d43", fillOpacity: 1, dashArray: null }
        : { radius: 6, color: "#b35806", weight: 2, fillColor: "#fee08b", fillOpacity: 0.9, dashArray: null };
    }
    if (k === "planned") {
      return open
        ? { radius: 7, color: "#ffffff", weight: 2, fillColor: "#762a83", fillOpacity: 1, dashArray: null }
        : { radius: 6, color: "#762a83", weight: 2, fillColor: "#e7d4e8", fillOpacity: 0.9, dashArray: null };
    }
    return open
      ? { radius: 7, color: "#ffffff", weight: 2, fillColor: "#4575b4", fillOpacity: 1, dashArray: null }
      : { radius: candidateRadius(), color: "#525252", weight: 1, fillColor: "#969696", fillOpacity: 0, dashArray: null };
  }

  function tipOf(s, j) {
    return function () {
      var open = s.open[j] === 1;
      var kind = tx("kind_" + KINDS[s.kind[j]]);
      var state = tx(open ? "state_open" : "state_closed");
      var act = tx(open ? "click_close" : "click_open");
      return el("span", null, s.names[j] + " · " + kind + " · " + state + " · " + act);
    };
  }

  function buildSites(s) {
    if (ui.sites) map.removeLayer(ui.sites);
    ui.candidateRadius = candidateRadius();
    ui.sites = L.layerGroup();
    s.markers = new Array(s.nSites);
    var order = [2, 3, 1, 0];
    order.forEach(function (kind) {
      for (var j = 0; j < s.nSites; j++) {
        if (s.kind[j] !== kind) continue;
        var p = ll(s.lat[j], s.lon[j]);
        var st = siteStyle(s, j);
        st.renderer = ui.renderer;
        st.pane = "lcWhatIfSites";
        var m = L.circleMarker(p, st);
        m.bindTooltip(tipOf(s, j), { direction: "top" });
        m.on("click", clickSite(j));
        s.markers[j] = m;
        ui.sites.addLayer(m);
      }
    });
    if (expanded) ui.sites.addTo(map);
  }
  function clickSite(j) {
    return function (e) {
      L.DomEvent.stopPropagation(e);
      var s = S;
      var key = s.open[j] ? "closed" : "opened";
      act(function () {
        return apply(s, s.open[j] ? "close" : "open", [j], true);
      }, tx(key, { name: s.names[j] }));
    };
  }
  function restyle(s, list) {
    list.forEach(function (j) {
      var m = s.markers && s.markers[j];
      if (!m) return;
      var st = siteStyle(s, j);
      m.setStyle(st);
      m.setRadius(st.radius);
      if (s.open[j]) m.bringToFront();
    });
  }

  // -- actions, history ---------------------------------------------------------------------------

  /* Open or close sites ``list`` of service ``s``; a step of the history when ``record``. */
  function apply(s, op, list, record) {
    var done = [];
    list.forEach(function (j) {
      if (op === "open" ? openSite(s, j) : closeSite(s, j)) done.push(j);
    });
    if (record && done.length) s.history.push({ op: op, sites: done });
    restyle(s, done);
    return done;
  }

  /* Run ``fn``, recompute everything shown, and time the whole (the figure tests print). */
  function act(fn, message) {
    var t0 = performance.now();
    var out = fn();
    update();
    var ms = performance.now() - t0;
    W.lastMs = ms;
    W.timings.push(ms);
    if (message !== undefined) status(message + " · " + tx("timing", { ms: fmt1(ms) }));
    return out;
  }

  function status(text) {
    if (ui.status) ui.status.textContent = text;
  }

  function indices(ids) {
    var list = [];
    (Array.isArray(ids) ? ids : [ids]).forEach(function (id) {
      var j = typeof id === "number" ? id : S.byId[String(id)];
      if (j === undefined || j < 0 || j >= S.nSites) throw new Error("unknown site " + String(id));
      list.push(j);
    });
    return list;
  }

  function undo() {
    var s = S;
    var step = s.history.pop();
    if (!step) {
      status(tx("nothing_to_undo"));
      return false;
    }
    act(function () {
      apply(s, step.op === "open" ? "close" : "open", step.sites, false);
      step.sites.forEach(function (j) {
        if (step.op === "open") s.placed[j] = 0;
      });
    }, tx("undone"));
    return true;
  }

  function reset() {
    var s = S;
    act(function () {
      s.open.set(s.baseOpen);
      s.placed.fill(0);
      s.history = [];
      rebuildBest(s);
      var all = [];
      for (var j = 0; j < s.nSites; j++) all.push(j);
      restyle(s, all);
    }, tx("reset_done"));
  }

  function greedy(k) {
    var s = S;
    var added = [];
    for (var r = 0; r < (k || 1); r++) {
      var next = bestNext(s);
      if (!next) break;
      act(function () {
        apply(s, "open", [next.j], true);
      }, tx("added", { name: s.names[next.j], gain: fmtInt(next.gain) }));
      added.push({ id: s.spec.sites.id[next.j], name: s.names[next.j], gain: next.gain });
    }
    if (!added.length) status(tx("next_none"));
    return added;
  }

  function loadProposal() {
    var s = S;
    var list = [];
    for (var j = 0; j < s.nSites; j++) if (s.kind[j] === 1) list.push(j);
    act(function () {
      apply(s, "open", list, true);
    }, tx("proposal_done", { n: list.length }));
    return list.length;
  }

  /* Open the new site nearest to (lat, lng); an existing facility is never "placed". */
  function placeAt(lat, lng) {
    var s = S;
    var p = project(lat, lng);
    var bj = -1;
    var bd = Infinity;
    for (var j = 0; j < s.nSites; j++) {
      if (s.kind[j] === EXISTING) continue;
      var q = ll(s.lat[j], s.lon[j]);
      var sp = map.options.crs.latLngToPoint(L.latLng(q[0], q[1]), 0);
      var d = (sp.x - p.x) * (sp.x - p.x) + (sp.y - p.y) * (sp.y - p.y);
      if (d < bd) {
        bd = d;
        bj = j;
      }
    }
    if (bj < 0) return null;
    if (s.open[bj]) {
      status(tx("already", { name: s.names[bj] }));
      return s.spec.sites.id[bj];
    }
    act(function () {
      apply(s, "open", [bj], true);
      s.placed[bj] = 1;
    }, tx("placed", { name: s.names[bj] }));
    return s.spec.sites.id[bj];
  }

  // -- what the panel shows -----------------------------------------------------------------------

  function update() {
    var s = S;
    var t = [performance.now()];
    coverage(s);
    regain(s, false);
    s.next = bestNext(s);
    t.push(performance.now());
    s.now = aggregate(s);
    t.push(performance.now());
    if (ui.homes && expanded) ui.homes.draw();
    t.push(performance.now());
    showHeadline(s);
    showUnits(s);
    drawChart(s);
    t.push(performance.now());
    W.parts = { coverage: t[1] - t[0], counts: t[2] - t[1], homes: t[3] - t[2], panel: t[4] - t[3] };
  }

  function showHeadline(s) {
    var g = s.spec.group;
    var now = s.now.groups[g];
    var base = s.base.groups[g];
    var share = now.people > 0 ? now.covered / now.people : NaN;
    var bshare = base.people > 0 ? base.covered / base.people : NaN;
    ui.share.textContent = fmtPct(share);
    ui.label.textContent = tx("headline", { group: H.labels[g] || g, minutes: s.spec.minutes });
    ui.people.textContent = tx("people", { covered: fmtInt(now.covered), total: fmtInt(now.people) });
    if (s.spec.known) {
      var dpp = 100 * (share - bshare);
      var sign = dpp > 0 ? "+" : dpp < 0 ? "−" : "±";
      ui.delta.textContent = tx("delta", { delta: sign + fmt1(Math.abs(dpp)), base: fmtPct(bshare) });
    } else {
      ui.delta.textContent = tx("no_baseline");
    }
    var n = [0, 0, 0];
    for (var j = 0; j < s.nSites; j++) {
      if (s.kind[j] === EXISTING) {
        n[0] += 1;
        if (!s.open[j]) n[1] += 1;
      } else if (s.open[j]) n[2] += 1;
    }
    ui.sitesLine.textContent = tx("sites", { existing: n[0], closed: n[1], added: n[2] });
    ui.next.textContent = s.next
      ? tx("next", { name: s.names[s.next.j], gain: fmtInt(s.next.gain) })
      : tx("next_none");
    ui.undo.disabled = !s.history.length;
  }

  function showUnits(s) {
    var li = ui.level ? Number(ui.level.value) : 0;
    var lv = H.levels[li];
    ui.unitBox.hidden = !lv;
    if (!lv) return;
    ui.unitTitle.textContent = tx("units", { level: lv.label });
    var g = s.spec.group;
    var now = s.now.units[li][g];
    var base = s.base.units[li][g];
    if (!ui.rows || ui.rowsLevel !== li || ui.rowsService !== s.key) makeRows(lv, li, s.key);
    var order = lv.codes.map(function (c, u) {
      return u;
    });
    var share = function (u) {
      return now.people[u] > 0 ? now.covered[u] / now.people[u] : Infinity;
    };
    order.sort(function (a, b) {
      return share(a) - share(b) || (lv.names[a] < lv.names[b] ? -1 : lv.names[a] > lv.names[b] ? 1 : 0);
    });
    order.forEach(function (u) {
      var cells = ui.rows[u];
      var sh = now.people[u] > 0 ? now.covered[u] / now.people[u] : NaN;
      var bs = base.people[u] > 0 ? base.covered[u] / base.people[u] : NaN;
      cells[1].textContent = fmtInt(now.people[u]);
      cells[2].textContent = fmtInt(now.covered[u]);
      cells[3].textContent = fmtPct(sh);
      var dpp = 100 * (sh - bs);
      cells[4].textContent = !s.spec.known || !isFinite(dpp) ? "—" : (dpp > 0 ? "+" : "") + fmt1(dpp);
      cells[4].className = dpp > 0.05 ? "lc-wi-up" : dpp < -0.05 ? "lc-wi-down" : "";
      ui.tbody.appendChild(cells.tr);
    });
  }

  function makeRows(lv, li, key) {
    ui.tbody.textContent = "";
    ui.rows = lv.codes.map(function (code, u) {
      var tr = el("tr");
      var cells = [el("td", null, lv.names[u], tr)];
      for (var c = 0; c < 4; c++) cells.push(el("td", "lc-wi-num", "", tr));
      cells.tr = tr;
      return cells;
    });
    ui.rowsLevel = li;
    ui.rowsService = key;
  }

  function drawChart(s) {
    var c = ui.chart;
    var dpr = window.devicePixelRatio || 1;
    var wpx = c.clientWidth || 300;
    var hpx = c.clientHeight || 96;
    c.width = Math.round(wpx * dpr);
    c.height = Math.round(hpx * dpr);
    var g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, wpx, hpx);
    var hist = s.now.hist;
    var nb = hist.length;
    var top = 0;
    for (var b = 0; b < nb; b++) top = Math.max(top, hist[b]);
    var left = 4;
    var bottom = hpx - 16;
    var bw = (wpx - left - 4) / (nb + 1);
    g.font = "10px sans-serif";
    g.fillStyle = "#444";
    g.textAlign = "center";
    for (b = 0; b < nb; b++) {
      var x = left + b * bw + (b === nb - 1 ? bw : 0);
      var hgt = top > 0 ? ((bottom - 4) * hist[b]) / top : 0;
      g.fillStyle = b === nb - 1 ? COLORS.lost : (b + 1) * 60 <= s.minThr ? COLORS.kept : "#9e9e9e";
      g.fillRect(x + 1, bottom - hgt, Math.max(1, bw - 2), hgt);
      if (b < nb - 1 && b % 5 === 0) {
        g.fillStyle = "#444";
        g.fillText(String(b), x, hpx - 4);
      }
    }
    g.fillStyle = "#444";
    g.textAlign = "right";
    g.fillText(String(nb - 1) + " " + tx("minutes") + " · " + tx("chart_none"), wpx - 2, hpx - 4);
    ui.chartTitle.textContent = tx("chart", { group: H.labels[s.spec.group] || s.spec.group });
  }

  // -- export -------------------------------------------------------------------------------------

  function csvCell(v) {
    var s = String(v);
    if (typeof v === "string" && /^[=+\-@\t\r]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s)) s = "'" + s;
    if (/[",\r\n]/.test(s)) s = '"' + s.replace(/"/g, '""') + '"';
    return s;
  }

  function exportFiles() {
    var s = S;
    var head = ["csv_id", "csv_name", "csv_service", "csv_status", "csv_tier", "csv_lon", "csv_lat"];
    head = head.concat(["csv_lon_gcj", "csv_lat_gcj", "csv_origin"]);
    var lines = [head.map(function (k) { return csvCell(tx(k)); }).join(",")];
    var n = 0;
    for (var j = 0; j < s.nSites; j++) {
      if (!s.open[j]) continue;
      n += 1;
      var origin = s.placed[j] ? tx("kind_placed") : tx("kind_" + KINDS[s.kind[j]]);
      var row = [s.spec.sites.id[j], s.names[j], s.spec.value, tx("csv_existing"), s.spec.sites.tier[j]];
      row = row.concat([s.lon[j], s.lat[j], s.lonGcj[j], s.latGcj[j], origin]);
      lines.push(row.map(csvCell).join(","));
    }
    var csvName = "whatif_" + s.key + "_sites.csv";
    var yamlName = "whatif_" + s.key + "_scenario.yaml";
    var yaml = tx("yaml_head", { service: s.spec.label, n: n, csv: csvName }) + "\n";
    yaml += "facilities:\n  - path: " + csvName + "\n    crs: wgs84\n    service: " + s.key + "\n";
    var csv = "\ufeff" + lines.join("\r\n") + "\r\n";
    return { csv: csv, yaml: yaml, csvName: csvName, yamlName: yamlName, n: n };
  }

  function download(name, text, type) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = el("a", null, null, document.body);
    a.href = url;
    a.download = name;
    a.click();
    a.remove();
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 2000);
  }

  // -- the panel ----------------------------------------------------------------------------------

  function button(parent, key, fn) {
    var b = el("button", "lc-wi-btn", tx(key), parent);
    b.type = "button";
    b.addEventListener("click", fn);
    return b;
  }

  function buildPanel(box) {
    var body = el("div", "lc-wi-body", null, box);
    el("p", "lc-wi-hint", tx("hint"), body);
    if (D.services.length > 1) {
      var row = el("label", "lc-wi-row", tx("service") + " ", body);
      ui.service = el("select", null, null, row);
      D.services.forEach(function (sp) {
        el("option", null, sp.label, ui.service).value = sp.key;
      });
      ui.service.addEventListener("change", function () {
        selectService(ui.service.value);
      });
    }
    var head = el("div", "lc-wi-head", null, body);
    ui.share = el("div", "lc-wi-share", "", head);
    ui.label = el("div", "lc-wi-label", "", head);
    ui.people = el("div", null, "", body);
    ui.delta = el("div", null, "", body);
    ui.sitesLine = el("div", null, "", body);
    var bar = el("div", "lc-wi-bar", null, body);
    ui.proposal = button(bar, "proposal", function () {
      loadProposal();
    });
    button(bar, "greedy", function () {
      greedy(1);
    });
    ui.undo = button(bar, "undo", undo);
    button(bar, "reset", reset);
    button(bar, "export", onExport);
    var place = el("label", "lc-wi-row", null, body);
    ui.place = el("input", null, null, place);
    ui.place.type = "checkbox";
    el("span", null, " " + tx("place"), place);
    ui.next = el("div", "lc-wi-next", "", body);
    ui.status = el("div", "lc-wi-status", "", body);
    legend(body);
    ui.chartTitle = el("div", "lc-wi-sub", "", body);
    ui.chart = el("canvas", "lc-wi-chart", null, body);
    unitBox(body);
    return body;
  }

  function legend(parent) {
    var lg = el("div", "lc-wi-legend", null, parent);
    [
      ["kept", "legend_kept"],
      ["fresh", "legend_new"],
      ["lost", "legend_lost"],
      ["out", "legend_out"],
    ].forEach(function (p) {
      var item = el("span", "lc-wi-key", null, lg);
      el("i", null, null, item).style.background = COLORS[p[0]];
      el("span", null, tx(p[1]), item);
    });
  }

  function unitBox(parent) {
    ui.unitBox = el("div", "lc-wi-units", null, parent);
    var top = el("div", "lc-wi-sub", null, ui.unitBox);
    ui.unitTitle = el("span", null, "", top);
    if (H.levels.length > 1) {
      ui.level = el("select", null, null, top);
      H.levels.forEach(function (lv, i) {
        el("option", null, lv.label, ui.level).value = String(i);
      });
      ui.level.addEventListener("change", function () {
        showUnits(S);
      });
    }
    var wrap = el("div", "lc-wi-scroll", null, ui.unitBox);
    var table = el("table", "lc-wi-table", null, wrap);
    var tr = el("tr", null, null, el("thead", null, null, table));
    ["col_unit", "col_people", "col_covered", "col_share", "col_change"].forEach(function (k) {
      el("th", null, tx(k), tr);
    });
    ui.tbody = el("tbody", null, null, table);
  }

  function onExport() {
    var f = exportFiles();
    download(f.csvName, f.csv, "text/csv;charset=utf-8");
    download(f.yamlName, f.yaml, "text/yaml;charset=utf-8");
    status(tx("exported", { n: f.n, csv: f.csvName, yaml: f.yamlName }));
  }

  function setExpanded(on) {
    expanded = !!on;
    ui.body.hidden = !expanded;
    ui.toggle.textContent = expanded ? tx("title") + " ▾" : tx("title") + " ▸";
    ui.toggle.title = expanded ? tx("hide") : tx("show");
    if (!ui.homes) return expanded;
    [ui.homes, ui.sites].forEach(function (layer) {
      if (!layer) return;
      if (expanded) layer.addTo(map);
      else map.removeLayer(layer);
    });
    map.getPane("lcWhatIfSites").style.display = expanded ? "" : "none";
    hideOthers(expanded);
    if (expanded && S) update();
    refit();
    return expanded;
  }

  /* While the panel is open, the page's layers of today's state (homes, facilities, proposed
   * sites, walking circles, units shaded by coverage: every layer with points or popups) step
   * aside, since the panel draws the what-if state; the street network and the outlines stay.
   * They come back when it closes. */
  function hideOthers(on) {
    var lc = window.lifecircle;
    (ui.hidden || []).forEach(function (layer) {
      map.addLayer(layer);
    });
    ui.hidden = [];
    if (!on || !lc || !lc.layers) return;
    Object.keys(lc.layers).forEach(function (name) {
      var spec = lc.specs && lc.specs[name];
      var layer = lc.layers[name];
      var today = spec && (spec.kind !== "shapes" || !!spec.popup);
      if (!today || !map.hasLayer(layer)) return;
      map.removeLayer(layer);
      ui.hidden.push(layer);
    });
  }

  /* Fit the study area into the part of the map the side panel and this panel (open, or its
   * button) leave free. */
  function refit() {
    var lc = window.lifecircle;
    var b = lc && lc.config && lc.config.bounds;
    if (!b) return;
    var side = document.getElementById("lc-side");
    var left = side && !side.hidden ? side.offsetLeft + side.offsetWidth + 16 : 12;
    var right = ui.box.offsetWidth + 24;
    map.fitBounds([lc.ll(b[1], b[0]), lc.ll(b[3], b[2])], {
      paddingTopLeft: [left, 16],
      paddingBottomRight: [right, 36],
      animate: false,
    });
  }

  function selectService(key) {
    var spec = D.services.filter(function (sp) {
      return sp.key === key;
    })[0];
    if (!spec) throw new Error("unknown service " + key);
    S = services[key] || (services[key] = makeService(spec));
    if (ui.service) ui.service.value = key;
    ui.rows = null;
    buildSites(S);
    var has = false;
    for (var j = 0; j < S.nSites; j++) if (S.kind[j] === 1) has = true;
    ui.proposal.hidden = !has;
    update();
    return key;
  }

  function onMapClick(e) {
    if (!expanded || !ui.place.checked || !S) return;
    var lc = window.lifecircle;
    var at = [e.latlng.lat, e.latlng.lng];
    if (lc && lc.shownDatum === "gcj02" && lc.toWgs) at = lc.toWgs(at[0], at[1]);
    placeAt(at[0], at[1]);
  }

  function tooLarge(box) {
    var body = el("div", "lc-wi-body", null, box);
    var mb = function (b) {
      return fmt1(b / 1e6);
    };
    el("p", "lc-wi-hint", tx("too_large", { size: mb(D.bytes), limit: mb(D.limit) }), body);
    el("code", "lc-wi-cmd", D.command, body);
    return body;
  }

  function panel() {
    var Control = L.Control.extend({
      options: { position: "topright" },
      onAdd: function () {
        var box = (ui.box = L.DomUtil.create("div", "lc-wi leaflet-bar"));
        ui.toggle = el("button", "lc-wi-toggle", "", box);
        ui.toggle.type = "button";
        ui.toggle.addEventListener("click", function () {
          setExpanded(!expanded);
        });
        ui.body = D.too_large ? tooLarge(box) : buildPanel(box);
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    ui.control = new Control();
    ui.control.addTo(map);
  }

  function wrapBasemap() {
    var lc = window.lifecircle;
    if (!lc || !lc.setBasemap || lc.setBasemap.lcWhatIf) return;
    var orig = lc.setBasemap;
    lc.setBasemap = function () {
      var out = orig.apply(this, arguments);
      if (H && S && H.datum !== lc.shownDatum) {
        projectHomes();
        buildSites(S);
        update();
      }
      return out;
    };
    lc.setBasemap.lcWhatIf = true;
  }

  function init() {
    var t0 = performance.now();
    D = JSON.parse(document.getElementById("lc-whatif-data").textContent);
    TX = D.texts || {};
    map = window.lifecircle.map;
    if (!D.too_large) loadHomes();
    panel();
    if (!D.too_large) {
      map.createPane("lcWhatIfHomes").style.zIndex = 450;
      map.getPane("lcWhatIfHomes").style.pointerEvents = "none";
      map.createPane("lcWhatIfSites").style.zIndex = 590;
      ui.renderer = L.canvas({ pane: "lcWhatIfSites", padding: 0.2 });
      HomesLayer = homesLayerClass();
      ui.homes = new HomesLayer();
      map.on("click", onMapClick);
      map.on("zoomend", function () {
        if (!S || ui.candidateRadius === candidateRadius()) return;
        ui.candidateRadius = candidateRadius();
        var closed = [];
        for (var j = 0; j < S.nSites; j++) if (S.kind[j] === 2 && !S.open[j]) closed.push(j);
        restyle(S, closed);
      });
      wrapBasemap();
      selectService(D.services[0].key);
    }
    setExpanded(false);
    W.initMs = performance.now() - t0;
    W.ready = true;
  }

  function guard(fn) {
    return function () {
      if (!S) throw new Error("the what-if holds no data");
      return fn.apply(null, arguments);
    };
  }

  /* The API (tests; a planner's console). Site ids are the payload's ids (or indices). */
  W.expand = function (on) {
    return setExpanded(on === undefined ? true : on);
  };
  W.service = guard(selectService);
  /* Open or close sites ``ids`` as one step of the history; the state after. */
  function change(op, said) {
    return guard(function (ids) {
      var list = indices(ids);
      act(function () {
        apply(S, op, list, true);
      }, tx(said, { name: listed(list) }));
      return W.state();
    });
  }
  W.open = change("open", "opened");
  W.close = change("close", "closed");

  /* The names of sites ``list``, the first three and how many more. */
  function listed(list) {
    var text = list
      .slice(0, 3)
      .map(function (j) {
        return S.names[j];
      })
      .join(tx("sep"));
    return list.length > 3 ? text + tx("more", { n: list.length - 3 }) : text;
  }
  W.reset = guard(function () {
    reset();
    return W.state();
  });
  W.undo = guard(undo);
  W.greedy = guard(greedy);
  W.next = guard(function () {
    var n = S.next;
    return n ? { id: S.spec.sites.id[n.j], name: S.names[n.j], gain: n.gain } : null;
  });
  W.proposal = guard(loadProposal);
  W.placeAt = guard(placeAt);
  W.exportFiles = guard(exportFiles);
  W.sites = guard(function () {
    return S.spec.sites.id.map(function (id, j) {
      return { id: id, name: S.names[j], kind: KINDS[S.kind[j]], open: S.open[j] === 1 };
    });
  });
  W.state = guard(function () {
    var s = S;
    var open = [];
    for (var j = 0; j < s.nSites; j++) if (s.open[j]) open.push(s.spec.sites.id[j]);
    var groups = {};
    Object.keys(s.now.groups).forEach(function (g) {
      var v = s.now.groups[g];
      groups[g] = { people: v.people, covered: v.covered, share: v.people > 0 ? v.covered / v.people : null };
    });
    var units = {};
    H.levels.forEach(function (lv, li) {
      units[lv.scope] = lv.codes.map(function (code, u) {
        var row = { code: code, name: lv.names[u] };
        Object.keys(s.now.units[li]).forEach(function (g) {
          row[g] = { people: s.now.units[li][g].people[u], covered: s.now.units[li][g].covered[u] };
        });
        return row;
      });
    });
    var g = s.spec.group;
    return {
      service: s.key,
      group: g,
      open: open,
      headline: groups[g],
      groups: groups,
      units: units,
      ms: W.lastMs === undefined ? null : W.lastMs,
    };
  });

  function start() {
    var lc = window.lifecircle;
    if (!lc || !lc.map || !lc.ready || typeof L === "undefined") {
      setTimeout(start, 30);
      return;
    }
    try {
      init();
    } catch (err) {
      W.errors.push(String(err && err.message));
      throw err;
    }
  }
  start();
})();
