/*
 * Alpine.js components of ServiceLoop, for Alpine's CSP build (vendor/alpinejs/alpine-csp.min.js).
 *
 * The pages run under a Content-Security-Policy without 'unsafe-eval', so Alpine's regular build (which
 * turns attribute strings into functions) cannot run. The CSP build reads only simple expressions:
 * keep the logic here, registered with Alpine.data, and name properties and methods in the templates
 * (x-data="passwordToggle", @click="toggle", :type="inputType").
 * Loaded (deferred) before Alpine itself, so the components exist when Alpine starts.
 */
(function () {
  "use strict";

  document.addEventListener("alpine:init", function () {
    // "Cancel" on a new record's form: back to the page before (the link itself goes home).
    window.Alpine.data("backLink", function () {
      return {
        back: function (event) {
          if (window.history.length > 1) {
            event.preventDefault();
            window.history.back();
          }
        },
      };
    });

    // The login page's "show password" button: engineers type passwords on phones.
    window.Alpine.data("passwordToggle", function () {
      return {
        shown: false,
        toggle: function () { this.shown = !this.shown; },
        get hidden() { return !this.shown; },
        get inputType() { return this.shown ? "text" : "password"; },
      };
    });
  });
})();
