// Search suggestions: every <input data-suggest-url> becomes an ARIA 1.2 combobox with a listbox popup
// (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/examples/combobox-autocomplete-list/). The input keeps focus;
// aria-activedescendant points at the highlighted option. Without this script the input is a plain search box and
// its form submits as usual, so nothing depends on it.
(function () {
    "use strict";
    var DELAY_MS = 200;
    var english = document.documentElement.lang === "en";
    var TYPES = english
        ? { "case": "Case", "log": "Project log", "post": "Community post", "community": "Community", "showcase": "Showcase" }
        : { "case": "사례", "log": "프로젝트 로그", "post": "커뮤니티 글", "community": "커뮤니티", "showcase": "쇼케이스" };
    var WORDS = english
        ? { label: "Suggestions", none: "No suggestions.", some: function (n) { return n + (n === 1 ? " suggestion" : " suggestions") + ". Use the up and down arrows to choose."; } }
        : { label: "검색어 제안", none: "제안이 없습니다.", some: function (n) { return "제안 " + n + "개. 위아래 화살표로 고르세요."; } };

    function Combobox(input) {
        this.input = input;
        this.url = input.getAttribute("data-suggest-url");
        this.items = [];
        this.active = -1;
        this.timer = null;
        this.request = null;
        this.listbox = document.createElement("ul");
        this.listbox.id = input.id + "-suggestions";
        this.listbox.className = "suggestions";
        this.listbox.setAttribute("role", "listbox");
        this.listbox.setAttribute("aria-label", WORDS.label);
        this.listbox.hidden = true;
        this.status = document.createElement("div");
        this.status.className = "visually-hidden";
        // A plain live region, not role=status: the page's own status messages keep that role to themselves.
        this.status.setAttribute("aria-live", "polite");
        this.status.setAttribute("aria-atomic", "true");
        input.insertAdjacentElement("afterend", this.status);
        input.insertAdjacentElement("afterend", this.listbox);
        input.setAttribute("role", "combobox");
        input.setAttribute("aria-autocomplete", "list");
        input.setAttribute("aria-expanded", "false");
        input.setAttribute("aria-controls", this.listbox.id);
        input.setAttribute("autocomplete", "off");
        input.addEventListener("input", this.onInput.bind(this));
        input.addEventListener("keydown", this.onKeyDown.bind(this));
        input.addEventListener("blur", this.close.bind(this));
        // Keep focus in the input while the pointer picks an option, so blur does not close the list first.
        this.listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
        this.listbox.addEventListener("click", this.onClick.bind(this));
    }

    Combobox.prototype.onInput = function () {
        var self = this;
        window.clearTimeout(this.timer);
        this.timer = window.setTimeout(function () { self.load(self.input.value); }, DELAY_MS);
    };

    Combobox.prototype.load = function (text) {
        var self = this;
        if (this.request) { this.request.abort(); }
        if (!text.trim()) { this.show([]); return; }
        this.request = new AbortController();
        fetch(this.url + "?q=" + encodeURIComponent(text), {
            credentials: "same-origin",
            headers: { "Accept": "application/json" },
            signal: this.request.signal
        }).then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (data) {
              // An answer for text the user has since changed is stale (the abort above usually catches it).
              if (self.input.value === text) { self.show(data.suggestions || []); }
          })
          .catch(function (error) { if (error.name !== "AbortError") { self.show([]); } });
    };

    Combobox.prototype.show = function (suggestions) {
        var self = this;
        this.items = suggestions;
        this.active = -1;
        this.input.removeAttribute("aria-activedescendant");
        this.listbox.textContent = "";
        suggestions.forEach(function (suggestion, index) {
            var option = document.createElement("li");
            option.id = self.listbox.id + "-" + index;
            option.className = "suggestion";
            option.setAttribute("role", "option");
            option.setAttribute("aria-selected", "false");
            option.setAttribute("data-index", String(index));
            var title = document.createElement("span");
            title.className = "suggestion__text";
            title.textContent = suggestion.text;
            var type = document.createElement("span");
            type.className = "suggestion__type";
            type.textContent = TYPES[suggestion.type] || suggestion.type;
            option.appendChild(title);
            option.appendChild(document.createTextNode(" "));
            option.appendChild(type);
            self.listbox.appendChild(option);
        });
        var open = suggestions.length > 0 && document.activeElement === this.input;
        this.listbox.hidden = !open;
        this.input.setAttribute("aria-expanded", open ? "true" : "false");
        this.status.textContent = this.input.value.trim() ? (suggestions.length ? WORDS.some(suggestions.length) : WORDS.none) : "";
    };

    Combobox.prototype.close = function () {
        this.listbox.hidden = true;
        this.input.setAttribute("aria-expanded", "false");
        this.highlight(-1);
    };

    Combobox.prototype.isOpen = function () {
        return !this.listbox.hidden;
    };

    Combobox.prototype.highlight = function (index) {
        var options = this.listbox.querySelectorAll("[role=option]");
        this.active = index;
        for (var i = 0; i < options.length; i++) {
            options[i].setAttribute("aria-selected", i === index ? "true" : "false");
        }
        if (index >= 0 && options[index]) {
            this.input.setAttribute("aria-activedescendant", options[index].id);
            options[index].scrollIntoView({ block: "nearest" });
        } else {
            this.input.removeAttribute("aria-activedescendant");
        }
    };

    Combobox.prototype.move = function (step) {
        if (!this.items.length) { return; }
        if (!this.isOpen()) {
            this.listbox.hidden = false;
            this.input.setAttribute("aria-expanded", "true");
        }
        var count = this.items.length;
        var next = this.active < 0 ? (step > 0 ? 0 : count - 1) : (this.active + step + count) % count;
        this.highlight(next);
    };

    Combobox.prototype.choose = function (index) {
        var suggestion = this.items[index];
        if (!suggestion) { return; }
        this.input.value = suggestion.text;
        this.close();
        window.location.assign(suggestion.url);
    };

    Combobox.prototype.onKeyDown = function (event) {
        if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) { return; }
        switch (event.key) {
        case "ArrowDown":
            event.preventDefault();
            this.move(1);
            break;
        case "ArrowUp":
            event.preventDefault();
            this.move(-1);
            break;
        case "Enter":
            // With an option highlighted, Enter opens it; otherwise the form submits the text as a search.
            if (this.isOpen() && this.active >= 0) {
                event.preventDefault();
                this.choose(this.active);
            }
            break;
        case "Escape":
            if (this.isOpen()) {
                event.preventDefault();
                this.close();
            }
            break;
        default:
            break;
        }
    };

    Combobox.prototype.onClick = function (event) {
        var option = event.target.closest("[role=option]");
        if (option) { this.choose(Number(option.getAttribute("data-index"))); }
    };

    document.querySelectorAll("input[data-suggest-url]").forEach(function (input) { return new Combobox(input); });
})();
