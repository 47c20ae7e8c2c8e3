/* "Markets near me": a progressive enhancement of the home page.
 * Without JavaScript or geolocation the form stays hidden and the home page lists the
 * markets of the default district. The position is rounded to about 100 m before it is
 * sent: enough to rank markets, no more precise than needed. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-locate]");
  if (!form || !("geolocation" in navigator)) {
    return;
  }
  var status = form.querySelector("[role=status]");
  form.hidden = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    status.textContent = form.dataset.msgWait;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.lat.value = position.coords.latitude.toFixed(3);
        form.elements.lng.value = position.coords.longitude.toFixed(3);
        form.submit();
      },
      function () {
        status.textContent = form.dataset.msgFailed;
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 }
    );
  });
})();
