/*
 * consent.js: the demo site's consent banner. tracker.js (data-consent="required") holds every
 * event back until the visitor chooses; this shows the banner while no choice is stored, passes
 * the choice to leadTracker.setConsent (which keeps it in a cookie), and brings the banner back
 * from the footer's "Privacy choices" button. Include it after tracker.js, both with `defer`.
 */
(function () {
  "use strict";
  var banner = document.getElementById("consent-banner");
  var tracker = window.leadTracker;
  if (!banner || !tracker || !tracker.setConsent) return;
  var current = banner.querySelector("[data-consent-current]");
  var opener = null; // the button that reopened the banner gets the focus back

  function show(moveFocus) {
    var choice = tracker.consent();
    current.hidden = !choice;
    current.textContent = choice === "granted" ? "You accepted." : choice === "denied" ? "You declined." : "";
    banner.hidden = false;
    if (moveFocus) banner.querySelector("button").focus();
  }

  function hide() {
    banner.hidden = true;
    if (opener) opener.focus();
    opener = null;
  }

  banner.addEventListener("click", function (event) {
    var button = event.target.closest("[data-consent-choice]");
    if (!button) return;
    tracker.setConsent(button.getAttribute("data-consent-choice") === "granted");
    hide();
  });

  banner.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && tracker.consent()) hide(); // a choice is already stored
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-consent-open]") : null;
    if (!button) return;
    opener = button;
    show(true);
  });

  if (!tracker.consent()) show(false);
})();
