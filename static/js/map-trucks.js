/* The map's "suitable for trucks" filter (OCPI 2.3.0 parking places, issue #16).
 *
 * Which sites take trucks is public CPO data that pushes change, so it is not in the
 * cached sites document: with the box ticked, /map/live.json?trucks=1 (the live document
 * restricted by the server's one public door) names them by position, and the map shows
 * only those. map.js calls sgvTrucks(app) once at start; its matcher reads app.trucks.
 */
(function () {
  "use strict";

  window.sgvTrucks = function (app) {
    var box = app.form && app.form.elements.trucks;
    if (!box) return;
    app.trucks = new Set();

    function load() {
      if (!box.checked || !app.sites) return;
      sgvMap.getJSON(app.settings.urls.trucks).then(function (doc) {
        // Positions in the sites of doc.key; another key: none until the sites reload.
        app.trucks = new Set(doc.key === app.sites.key ? doc.site : []);
        sgvMap.applyFilters();
      }).catch(function () {});
    }

    box.addEventListener("change", load);
    app.onSites.push(load);
  };
})();
