/* SGV public map: charging points along a route (issue #19, SPEC §8 corridor=).
 *
 * A driver gives an origin, a destination and optional stops (suggested from SGV's own
 * place index, /map/places.json: towns and provinces at the centre of their sites, and
 * installation addresses; or "lat, lon"; or a click on the map), or loads a GPX/GeoJSON
 * track. There is no routing engine: the route is the straight line between the points,
 * or the track, which the UI says. The line goes to /opendata/installations.json as
 * corridor=<encoded polyline>&km=N (at most 2,000 characters: longer tracks are simplified
 * here by Douglas-Peucker first); PostGIS answers the installations within N km ordered
 * along the route with route_km. The list shows those the map's filters keep (app.shown,
 * the markers' own test), and follows the filters and live data. The URL carries the
 * route (`route`, `route_km`), so reloading or sharing it restores the route.
 * Text from the register reaches the page through sgvMap.el (textContent) only.
 */
(function () {
  "use strict";

  var MAX_CHARS = 2000, KM_DEFAULT = 5, MAX_SUGGESTIONS = 8;
  var app, S, el, format;
  var state = {
    text: null, points: null, km: KM_DEFAULT, line: null, found: null, request: 0,
    places: null, picking: null, stops: 0, positions: null, given: null,
  };

  function $(id) { return document.getElementById(id); }

  function normal(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  /* ---- the encoded polyline (Google's algorithm, precision 5, latitude first) ---- */

  function encodeValue(value, out) {
    value = value < 0 ? ~(value << 1) : value << 1;
    while (value >= 0x20) {
      out.push(String.fromCharCode((0x20 | (value & 0x1f)) + 63));
      value >>= 5;
    }
    out.push(String.fromCharCode(value + 63));
  }

  function encode(points) {
    var out = [], lat = 0, lon = 0;
    points.forEach(function (p) {
      var y = Math.round(p[0] * 1e5), x = Math.round(p[1] * 1e5);
      encodeValue(y - lat, out);
      encodeValue(x - lon, out);
      lat = y;
      lon = x;
    });
    return out.join("");
  }

  /* Decode, or return null for anything that is not a route (the server says why). */
  function decode(text) {
    var values = [], value = 0, shift = 0;
    for (var i = 0; i < text.length; i += 1) {
      var c = text.charCodeAt(i) - 63;
      if (c < 0 || c > 63 || shift > 30) return null;
      value |= (c & 0x1f) << shift;
      shift += 5;
      if (c < 0x20) {
        values.push(value & 1 ? ~(value >> 1) : value >> 1);
        value = 0;
        shift = 0;
      }
    }
    if (shift || values.length % 2 || values.length < 4) return null;
    var points = [], lat = 0, lon = 0;
    for (var k = 0; k < values.length; k += 2) {
      lat += values[k];
      lon += values[k + 1];
      if (Math.abs(lat) > 9e6 || Math.abs(lon) > 18e6) return null;
      points.push([lat / 1e5, lon / 1e5]);
    }
    return points;
  }

  /* ---- Douglas-Peucker, on a plane scaled by the cosine of the mean latitude ---- */

  function simplify(points, tolerance) {
    var n = points.length;
    if (n < 3) return points.slice();
    var mean = points.reduce(function (sum, p) { return sum + p[0]; }, 0) / n;
    var k = Math.cos(mean * Math.PI / 180);
    var keep = new Uint8Array(n), stack = [[0, n - 1]];
    keep[0] = keep[n - 1] = 1;
    while (stack.length) {
      var span = stack.pop(), a = points[span[0]], b = points[span[1]];
      var dx = (b[1] - a[1]) * k, dy = b[0] - a[0], len2 = dx * dx + dy * dy;
      var worst = -1, far = 0;
      for (var i = span[0] + 1; i < span[1]; i += 1) {
        var px = (points[i][1] - a[1]) * k, py = points[i][0] - a[0], d2;
        var t = len2 ? Math.max(0, Math.min(1, (px * dx + py * dy) / len2)) : 0;
        d2 = Math.pow(px - t * dx, 2) + Math.pow(py - t * dy, 2);
        if (d2 > far) { far = d2; worst = i; }
      }
      if (worst > 0 && far > tolerance * tolerance) {
        keep[worst] = 1;
        stack.push([span[0], worst], [worst, span[1]]);
      }
    }
    return points.filter(function (p, i) { return keep[i]; });
  }

  /* Simplify a track until its encoding fits in MAX_CHARS; return the points it encodes. */
  function fitting(points) {
    var text = encode(points), tolerance = 0.00005; // degrees: ~5 m
    while (text.length > MAX_CHARS) {
      text = encode(simplify(points, tolerance));
      tolerance *= 1.5;
    }
    return text;
  }

  /* ---- the place index ---- */

  function loadPlaces() {
    if (state.places && state.places.key === app.sites.key) return Promise.resolve(state.places);
    return sgvMap.getJSON(app.settings.urls.places).then(function (doc) {
      if (doc.key !== app.sites.key) throw new Error("the register changed: reload");
      var s = app.sites, towns = doc.municipalities.map(function () { return [0, 0, 0]; });
      var provinces = doc.provinces.map(function () { return [0, 0, 0]; });
      doc.municipality.forEach(function (m, i) {
        [towns[m], provinces[doc.municipalities[m][1]]].forEach(function (sum) {
          sum[0] += s.lat[i];
          sum[1] += s.lon[i];
          sum[2] += 1;
        });
      });
      var centre = function (sum) { return [sum[0] / sum[2], sum[1] / sum[2]]; };
      state.places = {
        key: doc.key,
        doc: doc,
        towns: doc.municipalities.map(function (m, k) {
          return { label: m[0] + " (" + doc.provinces[m[1]] + ")", norm: normal(m[0]),
            at: centre(towns[k]), kind: "municipality" };
        }),
        provinces: doc.provinces.map(function (p, k) {
          return { label: p, norm: normal(p), at: centre(provinces[k]), kind: "province" };
        }),
        sites: doc.name.map(function (name, i) {
          return normal(name + " " + doc.address[i] + " " + doc.postal_code[i]);
        }),
      };
      return state.places;
    });
  }

  function coordinates(text) {
    var m = /^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$/.exec(text);
    if (!m) return null;
    var lat = parseFloat(m[1]), lon = parseFloat(m[2]);
    return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? [lat, lon] : null;
  }

  function suggest(text) {
    var q = normal(text.trim()), p = state.places, out = [];
    var at = coordinates(text);
    if (at) return [{ kind: "point", label: text.trim(), at: at }];
    if (q.length < 2 || !p) return out;
    var starts = function (t) { return t.indexOf(q) === 0 || t.indexOf(" " + q) >= 0; };
    // A town named exactly as typed first, then towns and provinces that start so.
    var towns = p.towns.filter(function (t) { return starts(t.norm); });
    towns.sort(function (a, b) { return (b.norm === q) - (a.norm === q) || a.norm.length - b.norm.length; });
    out = out.concat(towns.slice(0, 4));
    out = out.concat(p.provinces.filter(function (t) { return starts(t.norm); }).slice(0, 2));
    for (var i = 0; i < p.sites.length && out.length < MAX_SUGGESTIONS; i += 1) {
      if (p.sites[i].indexOf(q) >= 0) {
        out.push({ kind: "installation", at: [app.sites.lat[i], app.sites.lon[i]],
          label: p.doc.name[i] + " — " + p.doc.address[i] });
      }
    }
    return out.slice(0, MAX_SUGGESTIONS);
  }

  /* ---- one place field: an input, its suggestions (a combobox), its point ---- */

  function field(input) {
    var box = $(input.getAttribute("aria-controls")), items = [], active = -1;

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function show() {
      items = suggest(input.value);
      active = -1;
      box.textContent = "";
      items.forEach(function (s, k) {
        box.appendChild(el("li", { id: box.id + "-" + k, role: "option", "aria-selected": "false",
          "data-index": String(k) }, [el("span", { className: "kind", text: S["kind_" + s.kind] || "" }),
          " ", el("span", { text: s.label })]));
      });
      if (!items.length && input.value.trim().length >= 2) {
        box.appendChild(el("li", { role: "option", "aria-disabled": "true", className: "none",
          text: state.places ? S.search_none : S.search_loading }));
      }
      box.hidden = !box.firstChild || document.activeElement !== input;
      input.setAttribute("aria-expanded", String(!box.hidden));
    }

    function pick(s) {
      input.value = s.label;
      input.sgvPoint = s.at;
      close();
    }

    function move(step) {
      if (!items.length) return;
      active = (active + step + items.length) % items.length;
      items.forEach(function (s, k) {
        var option = $(box.id + "-" + k);
        option.setAttribute("aria-selected", String(k === active));
        option.classList.toggle("active", k === active);
      });
      input.setAttribute("aria-activedescendant", box.id + "-" + active);
    }

    input.addEventListener("input", function () {
      input.sgvPoint = null;
      show();
      if (!state.places) loadPlaces().then(show, function () {});
    });
    input.addEventListener("focus", function () { loadPlaces().then(show, function () {}); });
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (box.hidden) show();
        move(event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Enter" && !box.hidden && items.length) {
        event.preventDefault(); // pick, not submit: the driver submits with the button
        pick(items[Math.max(active, 0)]);
      } else if (event.key === "Escape" && !box.hidden) {
        event.stopPropagation();
        close();
      }
    });
    box.addEventListener("mousedown", function (event) { event.preventDefault(); });
    box.addEventListener("click", function (event) {
      var option = event.target.closest("li[data-index]");
      if (option) pick(items[Number(option.getAttribute("data-index"))]);
    });
    /* The point this field names: picked, typed as "lat, lon", else its first suggestion. */
    input.sgvResolve = function () {
      if (input.sgvPoint) return input.sgvPoint;
      var first = suggest(input.value)[0];
      if (first) pick(first);
      return first ? first.at : null;
    };
  }

  function fieldName(input) {
    return input.closest(".route-place").querySelector("label").textContent;
  }

  function addStop(value) {
    state.stops += 1;
    var n = state.stops, id = "sgv-route-stop-" + n, label = format(S.route_stop, { n: n });
    var input = el("input", { id: id, type: "text", role: "combobox", "aria-autocomplete": "list",
      "aria-expanded": "false", "aria-controls": id + "-list", placeholder: S.route_place_hint });
    var remove = el("button", { type: "button", className: "button", text: "×",
      "aria-label": format(S.route_remove_stop, { n: n }), title: format(S.route_remove_stop, { n: n }) });
    var row = el("div", { className: "route-place", "data-role": "stop" }, [
      el("label", { for: id, text: label }),
      el("div", { className: "route-input" }, [input,
        el("button", { type: "button", className: "button pick", "data-pick": id, text: "⌖",
          "aria-label": S.route_pick + ": " + label, title: S.route_pick }),
        remove, el("ul", { id: id + "-list", className: "route-suggestions", role: "listbox",
          "aria-label": label, hidden: true })]),
    ]);
    $("sgv-route-places").insertBefore(row, $("sgv-route-to").closest(".route-place"));
    field(input);
    if (value) { input.value = value.label; input.sgvPoint = value.at; }
    remove.addEventListener("click", function () {
      row.remove();
      $("sgv-route-add").focus();
    });
    return input;
  }

  /* ---- the route: plan, load, draw, ask, list ---- */

  function inputs() {
    return Array.prototype.slice.call($("sgv-route-places").querySelectorAll("input"));
  }

  function plan(event) {
    event.preventDefault();
    var points = [];
    loadPlaces().catch(function () { return null; }).then(function () {
      for (var k = 0, all = inputs(); k < all.length; k += 1) {
        var input = all[k], role = input.closest(".route-place").getAttribute("data-role");
        if (!input.value.trim()) {
          if (role === "stop") continue; // an empty stop is no stop
          return fail(input, format(S.route_need, { field: fieldName(input) }));
        }
        var at = input.sgvResolve();
        if (!at) return fail(input, format(S.route_unknown, { text: input.value.trim(), field: fieldName(input) }));
        points.push(at);
      }
      setRoute(fitting(points), true);
      show(false);
      $("sgv-route-list-title").focus(); // where the answer is
    });
  }

  function fail(input, message) {
    app.say(message, true);
    input.focus();
  }

  /* Read a GPX (track, else route, else waypoints) or GeoJSON (its lines) into points. */
  function trackPoints(text) {
    var points = [];
    if (/^\s*</.test(text)) {
      var xml = new DOMParser().parseFromString(text, "application/xml");
      if (xml.getElementsByTagName("parsererror").length) return [];
      ["trkpt", "rtept", "wpt"].some(function (tag) {
        Array.prototype.forEach.call(xml.getElementsByTagName(tag), function (node) {
          points.push([parseFloat(node.getAttribute("lat")), parseFloat(node.getAttribute("lon"))]);
        });
        return points.length > 1;
      });
    } else {
      var walk = function (g) {
        if (!g || typeof g !== "object") return;
        if (g.type === "FeatureCollection") (g.features || []).forEach(walk);
        else if (g.type === "Feature") walk(g.geometry);
        else if (g.type === "GeometryCollection") (g.geometries || []).forEach(walk);
        else if (g.type === "LineString") g.coordinates.forEach(function (c) { points.push([c[1], c[0]]); });
        else if (g.type === "MultiLineString") {
          g.coordinates.forEach(function (line) { line.forEach(function (c) { points.push([c[1], c[0]]); }); });
        }
      };
      try { walk(JSON.parse(text)); } catch (error) { return []; }
    }
    return points.filter(function (p) {
      return isFinite(p[0]) && isFinite(p[1]) && Math.abs(p[0]) <= 90 && Math.abs(p[1]) <= 180;
    });
  }

  function loadTrack() {
    var file = $("sgv-route-file").files[0];
    if (!file) return;
    file.text().then(function (text) {
      var points = trackPoints(text), route = points.length > 1 ? fitting(points) : null;
      if (!route || !decode(route)) {
        app.say(S.route_bad_file, true);
        return;
      }
      var kept = decode(route).length;
      setRoute(route, true);
      show(false);
      $("sgv-route-list-title").focus();
      if (kept < points.length) {
        state.note = format(S.route_simplified, { from: app.count.format(points.length), to: app.count.format(kept) });
      }
    }, function () { app.say(S.route_bad_file, true); });
  }

  function length(points) {
    var km = 0, rad = Math.PI / 180;
    for (var i = 1; i < points.length; i += 1) {
      var a = points[i - 1], b = points[i];
      var h = Math.pow(Math.sin((b[0] - a[0]) * rad / 2), 2) +
        Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.pow(Math.sin((b[1] - a[1]) * rad / 2), 2);
      km += 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
    }
    return km;
  }

  function readKm() {
    var km = parseFloat($("sgv-route-km").value);
    return isFinite(km) && km > 0 && km <= 50 ? km : KM_DEFAULT;
  }

  /* Show the route `text` (an encoded polyline), ask for what lies along it, list it. */
  function setRoute(text, fit) {
    var points = decode(text);
    if (!points) return;
    state.text = text;
    state.points = points;
    state.km = readKm();
    state.note = null;
    if (state.line) state.line.remove();
    state.line = L.polyline(points, { color: "#c0182f", weight: 4, opacity: 0.8, dashArray: "8 6",
      interactive: false }).addTo(app.map);
    $("sgv-route-results").hidden = false;
    if (fit) app.map.fitBounds(state.line.getBounds(), clearOfResults());
    sgvMap.writeURL();
    var request = state.request += 1, url = $("sgv-route").getAttribute("data-url");
    $("sgv-route-summary").textContent = S.route_loading;
    $("sgv-route-list").textContent = "";
    document.documentElement.removeAttribute("data-sgv-route");
    var query = "?corridor=" + encodeURIComponent(text) + "&km=" + encodeURIComponent(String(state.km));
    Promise.all([corridorJSON(url + query), positions()]).then(function (got) {
      if (request !== state.request) return;
      var byId = got[1];
      state.found = got[0].installations.filter(function (s) { return byId.has(s.id); }).map(function (s) {
        return { i: byId.get(s.id), km: s.route_km, name: s.name };
      });
      render();
    }).catch(function (error) {
      if (request !== state.request) return;
      $("sgv-route-summary").textContent = error.tooLarge ? S.route_too_large : S.route_failed;
    });
  }

  /* The corridor's sites; a route over the server's length or area bound is a 400 saying so. */
  function corridorJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (response.ok) return response.json();
      return response.json().catch(function () { return {}; }).then(function (body) {
        var error = new Error(url + ": " + response.status);
        error.tooLarge = response.status === 400 && /km²|km long/.test(body.description || "");
        throw error;
      });
    });
  }

  /* Installation id → position in the map's sites (from /map/ids.json, via map.js). */
  function positions() {
    if (state.positions && state.positions.key === app.sites.key) return Promise.resolve(state.positions.map);
    var key = app.sites.key;
    return sgvMap.siteId(0).then(function () { return app.ids; }).then(function (ids) {
      var map = new Map();
      ids.forEach(function (id, i) { map.set(id, i); });
      if (app.sites.key === key) state.positions = { key: key, map: map };
      return map;
    });
  }

  function render() {
    if (!state.found) return;
    var shown = new Set(app.shown), list = $("sgv-route-list"), kept = [];
    state.found.forEach(function (f) { if (shown.has(f.i)) kept.push(f); });
    list.textContent = "";
    kept.forEach(function (f) {
      var live = app.live.get(f.i), facts = [app.power(app.sites.kw[f.i])];
      if (live) facts.push(format(S.free_points, { available: live.available, live: live.live }));
      if (live && live.price !== null) facts.push(format(S.price_from, { price: app.money(live.price) }));
      var button = el("button", { type: "button", className: "nearest-item route-item",
        "data-route-km": String(f.km) }, [
        el("strong", {}, [el("span", { className: "route-at", text: format(S.route_at_km, { km: app.number.format(f.km) }) }),
          " ", f.name]),
        el("span", { text: facts.join(" · ") }),
      ]);
      button.addEventListener("click", function () {
        app.map.setView([app.sites.lat[f.i], app.sites.lon[f.i]], Math.max(app.map.getZoom(), 14));
        sgvMap.openPanel(f.i, button);
      });
      list.appendChild(el("li", {}, [button]));
    });
    var summary = format(S.route_summary, {
      shown: app.count.format(kept.length), total: app.count.format(state.found.length),
      km: app.number.format(state.km), length: app.number.format(length(state.points)),
    });
    $("sgv-route-summary").textContent = (kept.length ? summary : summary + ". " + S.route_none) +
      (state.note ? " " + state.note : "");
    document.documentElement.setAttribute("data-sgv-route", String(kept.length));
  }

  function clear() {
    state.request += 1;
    state.text = state.points = state.found = null;
    if (state.line) state.line.remove();
    state.line = null;
    inputs().forEach(function (input) {
      if (input.closest(".route-place").getAttribute("data-role") === "stop") input.closest(".route-place").remove();
      else { input.value = ""; input.sgvPoint = null; }
    });
    $("sgv-route-file").value = "";
    $("sgv-route-results").hidden = true;
    document.documentElement.removeAttribute("data-sgv-route");
    sgvMap.writeURL();
  }

  /* ---- the form, the list over the map, picking on the map, the URL ---- */

  function phone() { return window.matchMedia("(max-width: 40em)").matches; }

  /* Keep the route clear of the list: at the bottom on phones, on the right elsewhere. */
  function clearOfResults() {
    var box = $("sgv-route-results"), side = phone() ? [0, box.offsetHeight] : [box.offsetWidth, 0];
    return { paddingTopLeft: [24, 24], paddingBottomRight: [24 + side[0], 24 + side[1]] };
  }

  function show(open) {
    $("sgv-route").hidden = !open;
    $("sgv-route-toggle").setAttribute("aria-expanded", String(open));
    app.map.invalidateSize();
    if (open) $("sgv-route-from").focus();
  }

  function pickOnMap(input) {
    state.picking = input;
    app.say(format(S.route_pick_now, { field: fieldName(input) }));
    app.map.getContainer().classList.add("picking");
  }

  function picked(event) {
    var input = state.picking;
    if (!input) return;
    state.picking = null;
    app.map.getContainer().classList.remove("picking");
    input.value = event.latlng.lat.toFixed(5) + ", " + event.latlng.lng.toFixed(5);
    input.sgvPoint = [event.latlng.lat, event.latlng.lng];
    app.say(S.route_picked + ": " + input.value);
    input.focus();
  }

  function restore() {
    var given = state.given, points = given && decode(given.route);
    if (!points) return;
    var label = function (p) { return p[0].toFixed(5) + ", " + p[1].toFixed(5); };
    $("sgv-route-km").value = String(given.km);
    if (points.length <= 10) { // a planned route: its points back in the fields
      $("sgv-route-from").value = label(points[0]);
      $("sgv-route-from").sgvPoint = points[0];
      points.slice(1, -1).forEach(function (p) { addStop({ label: label(p), at: p }); });
      $("sgv-route-to").value = label(points[points.length - 1]);
      $("sgv-route-to").sgvPoint = points[points.length - 1];
    }
    // The filters, open because the URL has some, would leave a phone no room for the map.
    if (phone() && !app.form.hidden) $("sgv-filters-toggle").click();
    setRoute(given.route, !app.settings.view);
  }

  function initRoute(state_, strings) {
    app = state_;
    S = strings;
    el = sgvMap.el;
    format = sgvMap.format;
    var query = new URLSearchParams(location.search), km = parseFloat(query.get("route_km"));
    if (query.get("route")) {
      state.given = { route: query.get("route"), km: isFinite(km) && km > 0 && km <= 50 ? km : KM_DEFAULT };
    }
    ["sgv-route-from", "sgv-route-to"].forEach(function (id) { field($(id)); });
    $("sgv-route-toggle").addEventListener("click", function () { show($("sgv-route").hidden); });
    $("sgv-route-close").addEventListener("click", function () {
      show(false);
      $("sgv-route-toggle").focus();
    });
    $("sgv-route-form").addEventListener("submit", plan);
    $("sgv-route-add").addEventListener("click", function () { addStop().focus(); });
    $("sgv-route-clear").addEventListener("click", clear);
    $("sgv-route-edit").addEventListener("click", function () { show(true); });
    $("sgv-route-hide").addEventListener("click", function () {
      $("sgv-route-results").hidden = true;
      $("sgv-route-toggle").focus();
    });
    $("sgv-route-file").addEventListener("change", loadTrack);
    $("sgv-route-km").addEventListener("change", function () { if (state.text) setRoute(state.text, false); });
    $("sgv-route-places").addEventListener("click", function (event) {
      var button = event.target.closest("[data-pick]");
      if (button) pickOnMap($(button.getAttribute("data-pick")));
    });
    app.map.on("click", picked);
    app.onFilters.push(render);
    app.onURL.push(function (params) {
      var text = state.text || (state.given && state.given.route);
      if (!text) return;
      params.set("route", text);
      var km = state.text ? state.km : state.given.km;
      if (km !== KM_DEFAULT) params.set("route_km", String(km));
    });
    app.onSites.push(function () {
      state.positions = null; // a new order: positions mean other sites
      state.places = null;
      if (state.given) {
        restore();
        state.given = null;
      } else if (state.text) setRoute(state.text, false);
    });
  }

  sgvMap.initRoute = initRoute;
})();
