// The device page's location map: Leaflet (served from /static/vendor, never a CDN) with the
// configured tiles, a dot at the reported position and a circle for its accuracy. The
// coordinates and the link stay on the page: without Leaflet the map stays hidden, and when
// no tile loads a note says so.
"use strict";

(function () {
  var box = document.getElementById("location-map");
  if (!box || typeof window.L === "undefined") { return; }
  var L = window.L;
  var at = [parseFloat(box.getAttribute("data-latitude")),
            parseFloat(box.getAttribute("data-longitude"))];
  var accuracy = parseFloat(box.getAttribute("data-accuracy"));
  box.hidden = false;
  var map = L.map(box, { scrollWheelZoom: false }).setView(at, 16);
  var loaded = false;
  L.tileLayer(box.getAttribute("data-tiles"), {
    maxZoom: 19,
    attribution: box.getAttribute("data-attribution"),
    // The tile server learns the site, not the page (the device's address stays here).
    referrerPolicy: "strict-origin"
  }).on("tileload", function () { loaded = true; })
    .on("tileerror", function () {
      if (!loaded) { box.nextElementSibling.hidden = false; }
    }).addTo(map);
  if (accuracy > 0) {
    var circle = L.circle(at, { radius: accuracy, weight: 1 }).addTo(map);
    map.fitBounds(circle.getBounds(), { maxZoom: 17 });
  }
  L.circleMarker(at, { radius: 6, weight: 2, fillOpacity: 0.9 })
    .bindTooltip(box.getAttribute("data-measured")).addTo(map);
})();
