// The scanner page: the QR's secret is in the URL's fragment, which no server sees. Post it
// to this page; when not signed in, keep it in this tab, sign in, and post it on return.
(function () {
  var form = document.getElementById("scan-form");
  if (!form) { return; }
  var input = form.querySelector("input[data-scan]");
  var key = "dangol-scan:" + location.pathname;
  var value = "";
  if (location.hash.length > 1) {
    value = decodeURIComponent(location.hash.slice(1));
    history.replaceState(null, "", location.pathname);
  } else {
    value = sessionStorage.getItem(key) || "";
  }
  if (!value || !new RegExp("^(?:" + form.dataset.pattern + ")$").test(value)) { return; }
  if (form.dataset.signedIn !== "1") {
    sessionStorage.setItem(key, value);
    location.assign(form.dataset.login);
    return;
  }
  sessionStorage.removeItem(key);
  document.getElementById("scan-empty").hidden = true;
  document.getElementById("scan-wait").hidden = false;
  input.value = value;
  form.submit();
})();
