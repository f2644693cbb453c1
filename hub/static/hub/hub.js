// Markdown preview: any textarea with data-markdown-preview gets a "미리보기" button that asks the server
// to render (and sanitise) the text, so the preview is exactly what will be published.
(function () {
    "use strict";
    function csrfToken() {
        var match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
        return match ? decodeURIComponent(match[1]) : "";
    }
    // The page's language (set by the server) picks the wording; the only two interface languages are ko and en.
    var english = document.documentElement.lang === "en";
    document.querySelectorAll("textarea[data-markdown-preview]").forEach(function (area) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button--small button--secondary";
        button.textContent = english ? "Preview" : "미리보기";
        var preview = document.createElement("div");
        preview.className = "md-preview";
        preview.setAttribute("aria-live", "polite");
        preview.hidden = true;
        area.insertAdjacentElement("afterend", preview);
        area.insertAdjacentElement("afterend", button);
        button.addEventListener("click", function () {
            var body = new URLSearchParams();
            body.set("text", area.value);
            fetch("/markdown/preview/", {
                method: "POST",
                headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
                body: body,
                credentials: "same-origin"
            }).then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
              .then(function (html) { preview.innerHTML = html; preview.hidden = false; })
              .catch(function () { preview.textContent = english ? "The preview could not be loaded." : "미리보기를 불러오지 못했습니다."; preview.hidden = false; });
        });
    });
})();
