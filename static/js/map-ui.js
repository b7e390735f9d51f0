/* SGV public map: search with suggestions, "near me", and the detail panel (SPEC §8).
 *
 * Loaded before map.js's start() runs, which calls sgvMap.initUI(app, strings). Text
 * from CPOs and the register goes into the page only through sgvMap.el (textContent).
 */
(function () {
  "use strict";

  var app, S, el, format;
  var ui = { places: null, loading: null, suggestions: [], active: -1, current: null };
  var MAX_SUGGESTIONS = 8;
  var NEAREST = 5;

  function normal(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function $(id) { return document.getElementById(id); }

  /* ---- search ---- */

  function loadPlaces() {
    if (!ui.loading && app.sites) {
      ui.loading = sgvMap.getJSON(app.settings.urls.places).then(function (doc) {
        if (doc.key !== app.sites.key) throw new Error("the register changed: reload");
        ui.places = {
          doc: doc,
          name: doc.name.map(normal),
          address: doc.address.map(function (a, i) { return normal(a + " " + doc.postal_code[i]); }),
          towns: doc.municipalities.map(function (m) { return normal(m[0]); }),
          provinces: doc.provinces.map(normal),
        };
        return ui.places;
      });
      ui.loading.catch(function () { ui.loading = null; });
    }
    return ui.loading || Promise.reject(new Error("sites not loaded"));
  }

  function town(i) {
    var doc = ui.places.doc, m = doc.municipalities[doc.municipality[i]];
    return m[0] + " (" + doc.provinces[m[1]] + ")";
  }

  function suggest(query) {
    var q = normal(query.trim()), out = [], p = ui.places;
    if (q.length < 2 || !p) return out;
    var startsWord = function (text) { return text.indexOf(q) === 0 || text.indexOf(" " + q) >= 0; };
    var add = function (limit, kind) {
      return function (item) {
        if (out.filter(function (o) { return o.kind === kind; }).length < limit) out.push(item);
      };
    };
    var province = add(2, "province"), municipality = add(3, "municipality");
    var operator = add(2, "operator");
    p.provinces.forEach(function (t, k) {
      if (startsWord(t)) province({ kind: "province", label: p.doc.provinces[k], value: k });
    });
    p.towns.forEach(function (t, k) {
      var m = p.doc.municipalities[k];
      if (startsWord(t)) {
        municipality({ kind: "municipality", label: m[0] + " (" + p.doc.provinces[m[1]] + ")", value: k });
      }
    });
    app.sites.operators.forEach(function (op) {
      if (normal(op[1]).indexOf(q) >= 0 || normal(op[0]) === q) {
        operator({ kind: "operator", label: op[1], value: op[0] });
      }
    });
    for (var i = 0; i < app.sites.n && out.length < MAX_SUGGESTIONS; i += 1) {
      if (p.name[i].indexOf(q) >= 0 || p.address[i].indexOf(q) >= 0) {
        var label = p.doc.name[i] + " — " + p.doc.address[i] + ", " + town(i);
        out.push({ kind: "installation", label: label, value: i });
      }
    }
    return out.slice(0, MAX_SUGGESTIONS);
  }

  function showSuggestions() {
    var input = $("sgv-search"), box = $("sgv-suggestions"), typed = input.value.trim();
    ui.suggestions = suggest(typed);
    ui.active = -1;
    box.textContent = "";
    ui.suggestions.forEach(function (s, k) {
      box.appendChild(el("li", { id: "sgv-option-" + k, role: "option", "aria-selected": "false",
        "data-index": String(k) }, [el("span", { className: "kind", text: S["kind_" + s.kind] }),
        " ", el("span", { text: s.label })]));
    });
    if (!ui.suggestions.length && typed.length >= 2) {
      box.appendChild(el("li", { role: "option", "aria-disabled": "true", className: "none",
        text: ui.places ? S.search_none : S.search_loading }));
    }
    box.hidden = !box.firstChild;
    input.setAttribute("aria-expanded", String(!box.hidden));
    input.removeAttribute("aria-activedescendant");
  }

  function closeSuggestions() {
    $("sgv-suggestions").hidden = true;
    $("sgv-search").setAttribute("aria-expanded", "false");
    $("sgv-search").removeAttribute("aria-activedescendant");
  }

  function moveActive(step) {
    var count = ui.suggestions.length;
    if (!count) return;
    ui.active = (ui.active + step + count) % count;
    ui.suggestions.forEach(function (s, k) {
      var option = $("sgv-option-" + k);
      option.setAttribute("aria-selected", String(k === ui.active));
      option.classList.toggle("active", k === ui.active);
    });
    $("sgv-search").setAttribute("aria-activedescendant", "sgv-option-" + ui.active);
    $("sgv-option-" + ui.active).scrollIntoView({ block: "nearest" });
  }

  function fitTo(indices) {
    if (!indices.length) return;
    var s = app.sites, bounds = L.latLngBounds(indices.map(function (i) { return [s.lat[i], s.lon[i]]; }));
    app.map.fitBounds(bounds, { maxZoom: 15, padding: [24, 24] });
  }

  function choose(s) {
    var doc = ui.places.doc, all = [];
    for (var i = 0; i < app.sites.n; i += 1) all.push(i);
    $("sgv-search").value = s.label;
    closeSuggestions();
    if (s.kind === "installation") {
      app.map.setView([app.sites.lat[s.value], app.sites.lon[s.value]], 17);
      openPanel(s.value, $("sgv-search"));
    } else if (s.kind === "operator") {
      app.form.elements.operator.value = s.value;
      sgvMap.applyFilters();
      fitTo(app.shown);
    } else if (s.kind === "municipality") {
      fitTo(all.filter(function (i) { return doc.municipality[i] === s.value; }));
    } else {
      fitTo(all.filter(function (i) { return doc.municipalities[doc.municipality[i]][1] === s.value; }));
    }
  }

  function initSearch() {
    var input = $("sgv-search"), box = $("sgv-suggestions");
    input.addEventListener("focus", function () { loadPlaces().then(showSuggestions, function () {}); });
    input.addEventListener("input", function () {
      showSuggestions();
      if (!ui.places) loadPlaces().then(showSuggestions, function () {});
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        moveActive(event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Escape" && !box.hidden) {
        event.stopPropagation();
        closeSuggestions();
      }
    });
    $("sgv-search-form").addEventListener("submit", function (event) {
      event.preventDefault();
      if (ui.suggestions.length) choose(ui.suggestions[Math.max(ui.active, 0)]);
    });
    box.addEventListener("mousedown", function (event) { event.preventDefault(); });
    box.addEventListener("click", function (event) {
      var option = event.target.closest("li[data-index]");
      if (option) choose(ui.suggestions[Number(option.getAttribute("data-index"))]);
    });
    input.addEventListener("blur", closeSuggestions);
  }

  /* ---- near me ---- */

  function distance(a, b, c, d) {
    var rad = Math.PI / 180, x = (d - b) * rad * Math.cos(((a + c) / 2) * rad), y = (c - a) * rad;
    return Math.sqrt(x * x + y * y) * 6371; // km; equirectangular is exact enough nearby
  }

  function nearest() {
    var s = app.sites, u = app.user, found = [];
    app.shown.forEach(function (i) {
      var d = distance(u.lat, u.lng, s.lat[i], s.lon[i]);
      if (found.length < NEAREST || d < found[found.length - 1].d) {
        found.push({ i: i, d: d });
        found.sort(function (a, b) { return a.d - b.d; });
        if (found.length > NEAREST) found.pop();
      }
    });
    return found;
  }

  function siteTitle(i) {
    return ui.places ? ui.places.doc.name[i] : app.sites.operators[app.sites.operator[i]][1];
  }

  function km(d) {
    return d < 1 ? Math.round(d * 1000) + " m" : app.number.format(d) + " km";
  }

  function showNearest() {
    var body = $("sgv-panel-body"), list = nearest(), ol = el("ol", { className: "nearest" });
    app.nearestOpen = true;
    body.textContent = "";
    body.appendChild(el("h2", { id: "sgv-panel-title", tabindex: "-1", text: S.nearest }));
    list.forEach(function (item) {
      var i = item.i, live = app.live.get(i);
      var facts = [km(item.d), app.power(app.sites.kw[i])];
      if (live) facts.push(format(S.free_points, { available: live.available, live: live.live }));
      if (live && live.price !== null) facts.push(format(S.price_from, { price: app.money(live.price) }));
      var button = el("button", { type: "button", className: "nearest-item" }, [
        el("strong", { text: siteTitle(i) }), el("span", { text: facts.join(" · ") }),
      ]);
      button.addEventListener("click", function () { openPanel(i, button, true); });
      ol.appendChild(el("li", {}, [button]));
    });
    body.appendChild(list.length ? ol : el("p", { text: S.nearest_none }));
    showPanel(false);
    return list;
  }

  function fitOptions() {
    // Keep what we fit clear of the panel: at the bottom on phones, on the right elsewhere.
    var panel = $("sgv-panel"), phone = window.matchMedia("(max-width: 40em)").matches;
    var right = panel.hidden || phone ? 0 : panel.offsetWidth;
    var bottom = panel.hidden || !phone ? 0 : panel.offsetHeight;
    return { maxZoom: 15, paddingTopLeft: [32, 32], paddingBottomRight: [32 + right, 32 + bottom] };
  }

  function located(position) {
    var user = L.latLng(position.coords.latitude, position.coords.longitude);
    app.user = user;
    if (ui.you) ui.you.setLatLng(user);
    else {
      ui.you = L.circleMarker(user, { radius: 8, color: "#fff", weight: 3, fillColor: "#c0182f",
        fillOpacity: 1, interactive: false }).addTo(app.map);
    }
    app.say(S.you_are_here);
    var list = showNearest(), points = [user];
    list.slice(0, 3).forEach(function (item) { points.push([app.sites.lat[item.i], app.sites.lon[item.i]]); });
    app.map.fitBounds(L.latLngBounds(points), fitOptions());
    loadPlaces().then(function () { if (app.nearestOpen) showNearest(); }, function () {});
  }

  function locate() {
    if (!navigator.geolocation || !app.sites) {
      app.say(S.geo_unsupported, true);
      return;
    }
    app.say(S.locating);
    navigator.geolocation.getCurrentPosition(located, function (error) {
      app.say(error.code === 1 ? S.geo_denied : S.geo_failed, true);
    }, { timeout: 15000, maximumAge: 60000 });
  }

  /* ---- detail panel ---- */

  function showPanel(fromList) {
    var panel = $("sgv-panel");
    if (window.matchMedia("(max-width: 40em)").matches) ui.showFilters(false); // room on phones
    panel.hidden = false;
    $("sgv-panel-back").hidden = !fromList;
    $("sgv-panel-title").focus();
  }

  function closePanel() {
    $("sgv-panel").hidden = true;
    app.nearestOpen = false;
    ui.current = null;
    if (ui.opener && document.body.contains(ui.opener)) ui.opener.focus();
  }

  function age(iso) {
    var minutes = Math.max(Math.floor((Date.now() - Date.parse(iso)) / 60000), 0);
    if (minutes < 1) return "<1 min";
    if (minutes < 60) return minutes + " min";
    if (minutes < 48 * 60) return Math.floor(minutes / 60) + " h";
    return Math.floor(minutes / 1440) + (app.lang === "es" ? " días" : " days");
  }

  function priceParts(price) {
    if (!price) return [S.no_price];
    if (price.free) return [S.free_of_charge];
    var cash = function (v) { return app.money(v, price.currency); }, parts = [];
    if (price.energy_excl_vat !== null) {
      parts.push(format(S.energy_excl_vat, { price: cash(price.energy_excl_vat) }));
      if (price.vat_rate === null) parts.push(S.vat_unknown);
      else {
        parts.push(format(S.vat_rate, { rate: app.number.format(price.vat_rate) }));
        parts.push(format(S.energy_incl_vat, { price: cash(price.energy_incl_vat) }));
      }
    }
    [["flat", "flat"], ["time_per_hour", "time"], ["parking_per_hour", "parking"]].forEach(function (k) {
      if (price[k[0]] !== null) parts.push(format(S[k[1]], { price: cash(price[k[0]]) }));
    });
    return parts.length ? parts : [S.no_price];
  }

  function pointItem(point) {
    var connectors = point.connectors.map(function (c) { return app.settings.connectors[c] || c; });
    var item = el("li", { className: "point" }, [
      el("p", { className: "point-head" }, [el("strong", { text: point.ref }),
        " · " + app.power(point.max_kw) + " · " + connectors.join(", ")]),
    ]);
    if (point.status && point.status !== "UNKNOWN") {
      item.appendChild(el("p", { className: "point-status status-" + point.status.toLowerCase() }, [
        app.settings.statuses[point.status] || point.status, " · ",
        el("time", { datetime: point.status_at, text: format(S.status_age, { age: age(point.status_at) }) }),
      ]));
    } else if (point.status) {
      item.appendChild(el("p", { className: "note", text: S.status_note }));
    }
    point.prices.forEach(function (c) {
      var name = (app.settings.connectors[c.standard] || c.standard) + (c.kw ? " (" + app.power(c.kw) + ")" : "");
      item.appendChild(el("p", { className: "price", text: name + ": " + priceParts(c.price).join(" · ") }));
    });
    return item;
  }

  function fact(term, value) {
    return value ? [el("dt", { text: term }), el("dd", {}, [value])] : [];
  }

  function renderDetail(d) {
    var body = $("sgv-panel-body"), op = d.operator;
    var phone = op.phone ? el("a", { href: "tel:" + op.phone.replace(/\s+/g, ""), text: op.phone }) : null;
    var hours = d.opening_hours === "24/7" ? S.always_open : d.opening_hours;
    var live = d.charge_points.filter(function (p) { return p.status; }).length;
    var dl = el("dl", { className: "facts" }, [].concat(
      fact(S.operator, op.name), fact(S.operator_phone, phone), fact(S.opening_hours, hours),
      fact(S.access, S["access_" + d.access] || d.access)));
    var page = app.settings.urls.page.replace(app.settings.placeholder, encodeURIComponent(d.id));
    body.textContent = "";
    body.appendChild(el("h2", { id: "sgv-panel-title", tabindex: "-1", text: d.name }));
    body.appendChild(el("p", { className: "address",
      text: d.address + ", " + d.postal_code + " " + d.municipality + " (" + d.province + ")" }));
    body.appendChild(dl);
    if (d.live) {
      body.appendChild(el("p", { className: "summary" }, [
        format(S.free_points, { available: d.available, live: live }),
        d.price_from !== null ? " · " + format(S.price_from, { price: app.money(d.price_from) }) : null,
      ]));
    } else {
      body.appendChild(el("p", { className: "note", text: S.live_note }));
    }
    body.appendChild(el("h3", { text: S.charge_points }));
    body.appendChild(el("ul", { className: "points" }, d.charge_points.map(pointItem)));
    body.appendChild(el("p", {}, [el("a", { href: page + "?lang=" + app.lang, text: S.details })]));
    if (sgvMap.showCost) sgvMap.showCost(app, body, d); // what a charge costs: map-cost.js
  }

  function openPanel(i, opener, fromList) {
    var body = $("sgv-panel-body");
    var request = {}; // this opening; a later one (or a new order) makes it stale
    ui.opener = opener || document.activeElement;
    ui.current = request;
    if (!fromList) app.nearestOpen = false;
    body.textContent = "";
    body.appendChild(el("h2", { id: "sgv-panel-title", tabindex: "-1", text: siteTitle(i) }));
    body.appendChild(el("p", { text: S.search_loading }));
    showPanel(fromList);
    sgvMap.siteId(i).then(function (id) { // /map/ids.json, fetched the first time
      if (ui.current !== request) return null;
      return sgvMap.getJSON(app.settings.urls.detail.replace(app.settings.placeholder,
        encodeURIComponent(id)));
    }).then(function (detail) {
      if (!detail || ui.current !== request) return;
      renderDetail(detail);
      $("sgv-panel-title").focus();
    }, function () {
      if (ui.current === request) body.lastChild.textContent = S.load_failed;
    });
  }

  /* ---- wiring ---- */

  function initFilters() {
    var toggle = $("sgv-filters-toggle"), form = app.form, timer = null;
    var given = app.settings.filters;
    var apply = function () { if (app.sites) sgvMap.applyFilters(); };
    var show = function (open) {
      form.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      app.map.invalidateSize();
    };
    ui.showFilters = show;
    show(Object.keys(given).some(function (k) { return given[k] !== null && given[k] !== false; }));
    toggle.addEventListener("click", function () { show(form.hidden); });
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    form.addEventListener("reset", function () { setTimeout(apply, 0); });
    form.elements.max_price.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 400);
    });
  }

  function initMarkers() {
    var open = function (event) { openPanel(event.layer.sgvSite, event.layer._icon); };
    app.cluster.on("click", open);
    app.cluster.on("keypress", function (event) {
      if (event.originalEvent.key === "Enter") open(event);
    });
    app.cluster.on("clusterkeypress", function (event) {
      if (event.originalEvent.key !== "Enter") return;
      if (app.map.getZoom() >= app.map.getMaxZoom()) event.layer.spiderfy();
      else event.layer.zoomToBounds({ padding: [24, 24] });
    });
  }

  function forgetOrder() {
    // sites.json of another order arrived: positions in the old one mean nothing now.
    ui.places = null;
    ui.loading = null;
  }

  function initUI(state, strings) {
    app = state;
    app.onSites.push(forgetOrder);
    S = strings;
    el = sgvMap.el;
    format = sgvMap.format;
    initSearch();
    initFilters();
    initMarkers();
    $("sgv-locate").addEventListener("click", locate);
    $("sgv-panel-close").addEventListener("click", closePanel);
    $("sgv-panel-back").addEventListener("click", showNearest);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !$("sgv-panel").hidden) closePanel();
    });
    if (window.matchMedia("(min-width: 64em)").matches) $("sgv-legend").open = true;
    if (sgvMap.initRoute) sgvMap.initRoute(app, strings); // map-route.js
  }

  sgvMap.initUI = initUI;
  sgvMap.showNearest = showNearest;
  sgvMap.openPanel = openPanel;
})();
