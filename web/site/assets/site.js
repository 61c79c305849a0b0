/* Page behaviour other than the chat: the webinar page's registration confirmation.
 * (tracker.js records the click itself through the button's data-track attribute.) */
(function () {
  "use strict";
  var button = document.getElementById("webinar-register");
  var confirmation = document.getElementById("webinar-registered");
  if (!button || !confirmation) return;
  button.addEventListener("click", function () {
    button.disabled = true;
    confirmation.hidden = false;
  });
})();
