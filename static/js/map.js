/* SGV public map: markers, filters, the URL and "near me" (SPEC §8).
 *
 * folium writes the Leaflet map and an empty marker-cluster group, then calls
 * sgvMap.start(map, cluster, settings). Sites come once from /map/sites.json (compact
 * columns), live status separately from /map/live.json, refreshed while the page is open.
 * A site is its position in sites.json: live.json names sites by position in the sites
 * of its `key` (other sites than ours: fetch sites.json again), and the installation ids,
 * needed only to open a site, come from /map/ids.json the first time one is opened.
 * Every string from a CPO or the register reaches the page through textContent, never
 * innerHTML (STYLE §7): see sgvMap.el.
 */
(function () {
  "use strict";

  var TIER_LIMITS = [22, 50, 150]; // kW: below 22, 22–49, 50–149, 150 or more
  var SHAPES = [
    ["circle", { cx: 14, cy: 14, r: 11 }],
    ["rect", { x: 3.5, y: 3.5, width: 21, height: 21, rx: 2 }],
    ["polygon", { points: "14,0.5 27.5,14 14,27.5 0.5,14" }],
    ["polygon", { points: "14,1.5 25,7.75 25,20.25 14,26.5 3,20.25 3,7.75" }],
  ];
  var BADGES = { free: "✓", busy: "×", unknown: "?" };
  var SPAIN = [[35.9, -9.4], [43.8, 3.4]];
  var SVG = "http://www.w3.org/2000/svg";

  var app = { live: new Map(), shown: [], onSites: [], onFilters: [], onURL: [] };
  var S = {}; // the page language's strings

  /* Build an element; string children become text nodes, never markup. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function shape(tier, hollow) {
    var svg = document.createElementNS(SVG, "svg");
    var part = document.createElementNS(SVG, SHAPES[tier][0]);
    var attrs = SHAPES[tier][1];
    Object.keys(attrs).forEach(function (key) { part.setAttribute(key, attrs[key]); });
    svg.setAttribute("viewBox", "0 0 28 28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "shape tier-" + tier + (hollow ? " hollow" : ""));
    svg.appendChild(part);
    return svg;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }

  function tier(kw) {
    var t = 0;
    while (t < TIER_LIMITS.length && kw >= TIER_LIMITS[t]) t += 1;
    return t;
  }

  function hasBit(mask, bit) {
    return Math.floor(mask / Math.pow(2, bit)) % 2 === 1; // masks may pass 32 bits
  }

  function say(text, isError) {
    app.status.textContent = text;
    app.status.classList.toggle("error", !!isError);
  }

  /* ---- data ---- */

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    });
  }

  function decodeSites(doc) {
    var n = doc.lat.length, lat = new Float64Array(n), lon = new Float64Array(n);
    var y = 0, x = 0;
    for (var i = 0; i < n; i += 1) {
      y += doc.lat[i];
      x += doc.lon[i];
      lat[i] = y / doc.scale;
      lon[i] = x / doc.scale;
    }
    return {
      key: doc.key, n: n, lat: lat, lon: lon, kw: doc.kw,
      connector: doc.connector, operator: doc.operator, points: doc.points,
      operators: doc.operators, connectors: doc.connectors,
    };
  }

  /* Live data by site position (in the sites of doc.key, which the caller checked). */
  function decodeLive(doc) {
    var live = new Map();
    for (var i = 0; i < doc.site.length; i += 1) {
      live.set(doc.site[i], {
        available: doc.available[i], live: doc.live[i], unknown: doc.unknown[i],
        price: doc.price_from[i],
      });
    }
    return live;
  }

  /* ---- markers ---- */

  function siteState(i) {
    var live = app.live.get(i);
    // Which sites have live data is live.json's to say (it follows pushes); sites.json,
    // cached per register version, does not: until live.json comes, every site is static.
    if (!live) return "static";
    if (live.available > 0) return "free";
    return live.unknown === live.live ? "unknown" : "busy";
  }

  function kwText(kw) {
    return kw > 0 ? String(Math.round(kw)) : "?";
  }

  function siteLabel(i, state) {
    var s = app.sites, live = app.live.get(i);
    var parts = [s.operators[s.operator[i]][1], app.power(s.kw[i])];
    parts.push(state === "static" ? S.marker_static : S.marker_live);
    if (state === "free") parts.push(format(S.marker_free, { count: live.available }));
    if (state === "busy") parts.push(S.marker_busy);
    if (state === "unknown") parts.push(S.legend_unknown);
    if (live && live.price !== null) parts.push(format(S.price_from, { price: app.money(live.price) }));
    return parts.join(" · ");
  }

  var SiteIcon = L.Icon.extend({
    options: { iconSize: [30, 30], iconAnchor: [15, 15], className: "sgv-marker" },
    createIcon: function (old) {
      var i = this.options.site, state = siteState(i), t = tier(app.sites.kw[i]);
      var div = old && old.tagName === "DIV" ? old : document.createElement("div");
      div.textContent = "";
      div.appendChild(shape(t, state === "static"));
      div.appendChild(el("span", { className: "kw", text: kwText(app.sites.kw[i]) }));
      if (BADGES[state]) {
        div.appendChild(el("span", { className: "badge " + state, text: BADGES[state] }));
      }
      this._setIconStyles(div, "icon");
      div.className += " tier-" + t + " " + state;
      div.setAttribute("aria-label", siteLabel(i, state));
      div.title = siteLabel(i, state);
      return div;
    },
    createShadow: function () { return null; },
  });

  var ClusterIcon = L.Icon.extend({
    options: { className: "sgv-cluster" },
    createIcon: function () {
      var count = this.options.count;
      var size = count < 10 ? 34 : count < 100 ? 40 : count < 1000 ? 46 : 52;
      var text = app.count.format(count);
      var div = el("div", { "aria-label": format(S.cluster_label, { count: text }) }, [
        el("span", { text: text }),
      ]);
      this.options.iconSize = [size, size];
      this._setIconStyles(div, "icon");
      return div;
    },
    createShadow: function () { return null; },
  });

  function clusterIcon(cluster) {
    return new ClusterIcon({ count: cluster.getChildCount() });
  }

  function buildMarkers() {
    var s = app.sites, markers = new Array(s.n);
    for (var i = 0; i < s.n; i += 1) {
      markers[i] = L.marker([s.lat[i], s.lon[i]], { icon: new SiteIcon({ site: i }), keyboard: true });
      markers[i].sgvSite = i;
    }
    app.markers = markers;
  }

  function refreshIcons() {
    app.markers.forEach(function (marker) {
      if (marker._icon) marker.setIcon(marker.options.icon);
    });
  }

  /* ---- filters and the URL ---- */

  function readFilters() {
    var f = app.form.elements, max = parseFloat(f.max_price.value);
    return {
      connector: f.connector.value || null,
      min_kw: parseFloat(f.min_kw.value) || null,
      operator: f.operator.value || null,
      available: f.available.checked,
      max_price: isNaN(max) ? null : max,
      trucks: f.trucks ? f.trucks.checked : false, // static/js/map-trucks.js
    };
  }

  function matcher(f) {
    var s = app.sites, bit = f.connector ? s.connectors.indexOf(f.connector) : -1;
    var wanted = (f.operator || "").toUpperCase();
    return function (i) {
      if (f.connector && (bit < 0 || !hasBit(s.connector[i], bit))) return false;
      if (f.min_kw && s.kw[i] < f.min_kw) return false;
      if (f.trucks && !(app.trucks && app.trucks.has(i))) return false;
      if (wanted && s.operators[s.operator[i]][0].toUpperCase() !== wanted) return false;
      if (f.available || f.max_price !== null) {
        var live = app.live.get(i);
        if (f.available && !(live && live.available > 0)) return false;
        if (f.max_price !== null && !(live && live.price !== null && live.price <= f.max_price)) {
          return false;
        }
      }
      return true;
    };
  }

  function applyFilters() {
    var f = readFilters(), test = matcher(f), shown = [];
    for (var i = 0; i < app.sites.n; i += 1) if (test(i)) shown.push(i);
    app.filters = f;
    app.shown = shown;
    app.cluster.clearLayers();
    app.cluster.addLayers(shown.map(function (i) { return app.markers[i]; }));
    var active = ["connector", "min_kw", "operator", "available", "max_price", "trucks"].filter(function (k) {
      return f[k] !== null && f[k] !== false;
    }).length;
    app.filterCount.textContent = active ? "(" + active + ")" : "";
    if (app.settings.publishes) {
      say(format(S.count, { shown: app.count.format(shown.length), total: app.count.format(app.sites.n) }));
    }
    document.documentElement.setAttribute("data-sgv-shown", String(shown.length));
    writeURL();
    if (app.nearestOpen && app.user) sgvMap.showNearest();
    app.onFilters.forEach(function (callback) { callback(); });
  }

  function writeURL() {
    var params = new URLSearchParams(), c = app.map.getCenter(), f = app.filters || {};
    params.set("lat", c.lat.toFixed(5));
    params.set("lon", c.lng.toFixed(5));
    params.set("z", String(app.map.getZoom()));
    if (f.connector) params.set("connector", f.connector);
    if (f.min_kw) params.set("min_kw", String(f.min_kw));
    if (f.operator) params.set("operator", f.operator);
    if (f.available) params.set("available", "1");
    if (f.trucks) params.set("trucks", "1");
    if (f.max_price !== null && f.max_price !== undefined) params.set("max_price", String(f.max_price));
    app.onURL.forEach(function (callback) { callback(params); }); // e.g. the route (map-route.js)
    params.set("lang", app.lang);
    history.replaceState(null, "", location.pathname + "?" + params.toString());
    params.set("lang", S.switch_lang);
    app.langLink.setAttribute("href", location.pathname + "?" + params.toString());
  }

  function fillSelects() {
    var s = app.sites, select = app.form.elements.operator, current = select.value;
    var connectors = app.form.elements.connector, known = {};
    Array.prototype.forEach.call(connectors.options, function (o) { known[o.value] = true; });
    s.connectors.forEach(function (code) {
      if (!known[code]) connectors.appendChild(el("option", { value: code, text: code }));
    });
    var operators = s.operators.slice().sort(function (a, b) { return a[1].localeCompare(b[1]); });
    while (select.options.length > 1) select.remove(1);
    operators.forEach(function (op) {
      select.appendChild(el("option", { value: op[0], text: op[1] + " (" + op[0] + ")" }));
    });
    if (current && !operators.some(function (op) { return op[0] === current; })) {
      select.appendChild(el("option", { value: current, text: current }));
    }
    select.value = current;
  }

  /* ---- sites, ids and live data: one order, named by `key` ---- */

  function setSites(doc) {
    app.sites = decodeSites(doc);
    app.ids = null; // positions changed meaning: the ids of the old order are useless
    app.live = new Map();
    buildMarkers();
    fillSelects();
    app.onSites.forEach(function (callback) { callback(); });
    applyFilters();
  }

  /* The register changed since our sites.json (a document of another key came): fetch it
   * again, once per key seen, so that a server still on the old order cannot loop us. */
  function reloadSites(key) {
    if (key === app.sites.key) return Promise.resolve(key);
    if (app.reloading !== key) {
      app.reloading = key;
      app.reloaded = getJSON(app.settings.urls.sites).then(function (doc) {
        if (doc.key !== app.sites.key) setSites(doc);
        return app.sites.key;
      });
      app.reloaded.catch(function () { app.reloading = null; }); // try again next time
    }
    return app.reloaded;
  }

  /* Resolve to the installation id of site i, fetching /map/ids.json on first need. */
  function siteId(i) {
    var key = app.sites.key;
    if (!app.ids) {
      app.ids = getJSON(app.settings.urls.ids).then(function (doc) {
        if (doc.key !== key) {
          reloadSites(doc.key);
          throw new Error("the register changed: reload");
        }
        return doc.id;
      });
      app.ids.catch(function () { if (app.sites.key === key) app.ids = null; });
    }
    return app.ids.then(function (ids) {
      if (app.sites.key !== key) throw new Error("the register changed: reload");
      return ids[i];
    });
  }

  function applyLive(doc) {
    if (doc.key !== app.sites.key) {
      // Positions in other sites than ours: get those sites, then use this live data.
      reloadSites(doc.key).then(function (key) {
        if (key === doc.key) applyLive(doc);
      }, function () {});
      return;
    }
    app.live = decodeLive(doc);
    if (!app.markers) return;
    var f = app.filters || {};
    if (f.available || (f.max_price !== null && f.max_price !== undefined)) applyFilters();
    else refreshIcons();
    document.documentElement.setAttribute("data-sgv-live", "1");
    window.sgvTimings.live = performance.now();
  }

  function refreshLive() {
    if (document.visibilityState !== "visible" || !app.sites) return;
    getJSON(app.settings.urls.live).then(applyLive).catch(function () {});
  }

  /* ---- start ---- */

  function start(map, cluster, settings) {
    var locale = settings.lang === "es" ? "es-ES" : "en-GB";
    S = settings.strings;
    app.map = map;
    app.cluster = cluster;
    app.settings = settings;
    app.lang = settings.lang;
    app.count = new Intl.NumberFormat(locale);
    app.number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    app.power = function (kw) { return app.number.format(kw) + " kW"; };
    var amount = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 4 });
    app.money = function (value, currency) {
      try {
        return new Intl.NumberFormat(locale, {
          style: "currency", currency: currency || "EUR",
          minimumFractionDigits: 2, maximumFractionDigits: 4,
        }).format(value);
      } catch (error) { // RangeError: not a well-formed currency code; show it as text
        return amount.format(value) + "\u00a0" + String(currency);
      }
    };
    app.status = document.getElementById("sgv-status");
    app.say = say;
    app.form = document.getElementById("sgv-filters");
    app.filterCount = document.getElementById("sgv-filter-count");
    app.langLink = document.getElementById("sgv-lang");
    window.sgvTimings = {};
    if (!settings.view) map.fitBounds(SPAIN, { animate: false });
    sgvMap.initUI(app, S);
    if (window.sgvTrucks) window.sgvTrucks(app);

    var live = getJSON(settings.urls.live);
    getJSON(settings.urls.sites).then(function (doc) {
      window.sgvTimings.sites = performance.now();
      setSites(doc);
      window.sgvTimings.markers = performance.now();
      requestAnimationFrame(function () {
        setTimeout(function () { window.sgvTimings.painted = performance.now(); }, 0);
      });
      document.documentElement.setAttribute("data-sgv-ready", "1");
      map.on("moveend", writeURL);
      live.then(applyLive).catch(function () {}); // the map works without live data
    }).catch(function () { say(S.load_failed, true); });
    setInterval(refreshLive, settings.refresh * 1000);
  }

  window.sgvMap = {
    start: start, clusterIcon: clusterIcon, el: el, shape: shape, format: format,
    applyFilters: applyFilters, siteState: siteState, getJSON: getJSON, siteId: siteId,
    refreshLive: refreshLive, writeURL: writeURL,
  };
})();
