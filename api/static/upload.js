// Documents: a chosen file is uploaded at once, its progress shown, to the portal's upload
// route; the form then names the stored file (hidden fields) instead of carrying its bytes.
// Without this script the file goes inside the form.
"use strict";
(function () {
  function size(n) {
    return n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KB" : (n / 1048576).toFixed(1) + " MB";
  }
  function removable(button) {
    button.hidden = false;
    button.addEventListener("click", function () { button.closest("li").remove(); });
  }
  function listed(box, answer) {
    var li = document.createElement("li");
    var prefix = box.dataset.prefix.replace("{n}", box.dataset.next);
    box.dataset.next = Number(box.dataset.next) + 1;
    box.dataset.fields.split(" ").forEach(function (name) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = prefix + name;
      input.value = answer[name];
      li.appendChild(input);
    });
    var name = answer.file_name || answer.name;
    var text = document.createElement("span");
    text.textContent = name + " · " + size(answer.size) + " · SHA-256 " + answer.sha256.slice(0, 16) + "… ";
    li.appendChild(text);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = box.dataset.remove;
    button.setAttribute("aria-label", box.dataset.remove + ": " + name);
    removable(button);
    li.appendChild(button);
    return li;
  }
  function send(box, input, file) {
    return new Promise(function (done) {
      var bar = box.querySelector("progress"), error = box.querySelector(".upload-error");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", box.dataset.upload + "?file_name=" + encodeURIComponent(file.name));
      xhr.setRequestHeader("X-CSRFToken", input.form.querySelector("[name=_csrf_token]").value);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
      });
      xhr.addEventListener("loadend", function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        bar.hidden = true;
        if (xhr.status === 201 && answer) {
          var list = box.querySelector(".uploaded");
          if (!input.multiple) { list.textContent = ""; }
          list.appendChild(listed(box, answer));
          var title = (box.closest("fieldset") || input.form).querySelector("[data-title-from-file]");
          if (title && !title.value) { title.value = file.name.replace(/\.[^.]*$/, ""); }
        } else {
          error.textContent = file.name + ": " + (answer && answer.detail ?
            answer.detail + " (" + answer.code + ")" : box.dataset.failed + " (" + xhr.status + ")");
          error.hidden = false;
        }
        done();
      });
      bar.value = 0;
      bar.hidden = false;
      error.hidden = true;
      xhr.send(file);
    });
  }
  function uploads() {
    document.querySelectorAll("[data-remove-upload]").forEach(removable);
    document.querySelectorAll("[data-upload]").forEach(function (box) {
      var input = box.querySelector("input[type=file]");
      input.addEventListener("change", async function () {
        var files = Array.prototype.slice.call(input.files);
        var buttons = Array.prototype.filter.call(input.form.querySelectorAll("button[type=submit]"),
          function (b) { return !b.disabled; });
        buttons.forEach(function (b) { b.disabled = true; });
        for (var i = 0; i < files.length; i++) { await send(box, input, files[i]); }
        input.value = "";  // uploaded: the form names it, and does not send it again
        buttons.forEach(function (b) { b.disabled = false; });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", uploads);
})();
