// Progressive enhancement only: every page works without this file.
"use strict";
(function () {
  // The countdown to a deadline, in the server's time (the server's clock decides, not the
  // visitor's): the page carries the server's "now", and we count from it.
  function countdowns() {
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      var skew = Date.parse(el.dataset.now) - Date.now();
      var form = document.querySelector("form[data-deadline-form]");
      function tick() {
        var left = Math.max(0, deadline - (Date.now() + skew));
        if (left <= 0) {
          el.textContent = el.dataset.passed;
          el.classList.add("passed");
          if (form) {
            form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
          }
          return;
        }
        var s = Math.floor(left / 1000);
        var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
        el.textContent = el.dataset.left + ": " + d + "d " + String(h).padStart(2, "0") + "h " +
          String(m).padStart(2, "0") + "m " + String(s % 60).padStart(2, "0") + "s";
        setTimeout(tick, 1000);
      }
      tick();
    });
  }

  // Verify a bid receipt in the browser with the platform's published Ed25519 key: the same
  // check a vendor can make offline (canonical JSON without "signature", keys sorted).
  function canonical(value) {
    if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
    if (value && typeof value === "object") {
      return "{" + Object.keys(value).sort().map(function (k) {
        return JSON.stringify(k) + ":" + canonical(value[k]);
      }).join(",") + "}";
    }
    return JSON.stringify(value);
  }
  function bytes(b64) {
    var s = atob(b64.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { out[i] = s.charCodeAt(i); }
    return out;
  }
  function receipts() {
    var button = document.getElementById("verify-in-browser");
    if (!button || !window.crypto || !crypto.subtle) { return; }
    button.hidden = false;
    button.addEventListener("click", async function () {
      var out = document.getElementById("browser-verdict");
      try {
        var receipt = JSON.parse(document.getElementById("receipt-json").textContent);
        var key = JSON.parse(document.getElementById("receipt-key").textContent);
        var unsigned = Object.assign({}, receipt);
        var signature = unsigned.signature;
        delete unsigned.signature;
        var publicKey = await crypto.subtle.importKey("raw", bytes(key.public_key), { name: "Ed25519" }, false, ["verify"]);
        var ok = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, bytes(signature.value || signature),
          new TextEncoder().encode(canonical(unsigned)));
        out.textContent = ok ? out.dataset.ok : out.dataset.bad;
        out.className = ok ? "ok" : "bad";
      } catch (e) {
        out.textContent = out.dataset.unsupported + " (" + e + ")";
        out.className = "bad";
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { countdowns(); receipts(); });
})();
