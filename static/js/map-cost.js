/* SGV public map: what a charge costs at the site in the panel (issue #19).
 *
 * map-ui.js calls sgvMap.showCost(app, body, detail) once it has drawn a site's detail.
 * The figures and sentences come from /map/installations/<id>/cost.json, written in the
 * page's language by the server (sgv/maps/cost.py), which also sets the defaults (20 kWh
 * in 30 min on AC, 40 kWh in 25 min on DC); the session the driver types goes back as
 * ?kwh=&minutes=. A site without a priced public connector shows nothing. Text reaches
 * the page only through sgvMap.el (textContent).
 */
(function () {
  "use strict";

  var DELAY = 400; // ms after the last keystroke before asking again
  var current = null; // the open panel's cost; answers for an older one are dropped

  function costUrl(state, session) {
    var app = state.app, urls = app.settings.urls;
    var url = urls.cost.replace(app.settings.placeholder, encodeURIComponent(state.id));
    url += "?lang=" + encodeURIComponent(app.lang);
    if (session) {
      url += "&kwh=" + encodeURIComponent(session.kwh) + "&minutes=" + encodeURIComponent(session.minutes);
    }
    return url;
  }

  function fetchCost(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.description || String(response.status));
        return body;
      });
    });
  }

  function field(name, label, value, attrs) {
    var options = { name: name, type: "number", value: value, required: true };
    Object.keys(attrs).forEach(function (key) { options[key] = attrs[key]; });
    return sgvMap.el("label", {}, [label, sgvMap.el("input", options)]);
  }

  function build(state, doc) {
    var el = sgvMap.el, S = doc.strings, timer = null;
    state.strings = S;
    state.form = el("form", { className: "cost-form", novalidate: true }, [
      field("kwh", S.cost_kwh, doc.form.kwh, { inputmode: "decimal", min: "0.001", max: "1000", step: "any" }),
      field("minutes", S.cost_minutes, doc.form.minutes, { inputmode: "numeric", min: "1", max: "1440", step: "1" }),
      el("button", { type: "submit", className: "button", text: S.cost_submit }),
    ]);
    state.error = el("p", { className: "status error", role: "alert", hidden: true });
    state.list = el("ul", { className: "cost-lines", "aria-live": "polite" });
    state.section.appendChild(el("h3", { id: "sgv-cost-title", text: S.cost_title }));
    state.section.appendChild(el("p", { className: "note", text: S.cost_explain }));
    [state.form, state.error, state.list].forEach(function (node) { state.section.appendChild(node); });
    state.form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      ask(state);
    });
    state.form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { ask(state); }, DELAY);
    });
    state.section.hidden = false;
  }

  function draw(state, doc) {
    var el = sgvMap.el, app = state.app, S = state.strings;
    state.error.hidden = true;
    state.list.textContent = "";
    doc.connectors.forEach(function (line) {
      var name = line.connector + (line.kw ? " (" + app.power(line.kw) + ")" : "");
      state.list.appendChild(el("li", {}, [
        el("strong", { text: line.charge_point }), " · " + name + ": ",
        el("span", { className: "cost-text", text: line.text }),
        line.note ? el("span", { className: "cost-note", text: line.note }) : null,
      ]));
    });
    if (!doc.connectors.length) state.list.appendChild(el("li", { text: S.cost_none }));
  }

  function load(state, session) {
    var ticket = (state.ticket || 0) + 1;
    state.ticket = ticket;
    fetchCost(costUrl(state, session)).then(function (doc) {
      if (state !== current || ticket !== state.ticket) return;
      if (!state.form) {
        if (!doc.connectors.length) return; // no priced public connector: no section
        build(state, doc);
      }
      draw(state, doc);
    }, function (error) {
      if (state !== current || ticket !== state.ticket || !state.form) return;
      state.error.textContent = sgvMap.format(state.strings.cost_bad_input, { problem: error.message });
      state.error.hidden = false;
    });
  }

  function ask(state) {
    var fields = state.form.elements;
    var session = { kwh: fields.kwh.value.trim(), minutes: fields.minutes.value.trim() };
    if (session.kwh && session.minutes) load(state, session);
  }

  function showCost(app, body, detail) {
    current = null;
    if (!detail.live) return;
    var section = sgvMap.el("section", { className: "cost", "aria-labelledby": "sgv-cost-title", hidden: true });
    body.insertBefore(section, body.lastChild); // above the link to the full page
    current = { app: app, id: detail.id, section: section };
    load(current, null);
  }

  sgvMap.showCost = showCost;
})();
