/*
 * tracker.js: first-party behaviour tracking for the lead-qualification assistant.
 * No dependencies. Add to every page of the website:
 *
 *   <script src="https://LEADQUAL-HOST/static/tracker.js" defer></script>
 *
 * Options, as data- attributes on that script tag:
 *   data-endpoint="https://…/track"   where events go (default: /track on the host the script came from)
 *   data-auto-page-view="false"       no page view on load (single-page apps call track("page_view"))
 *   data-consent="required"           send nothing until the visitor accepts (leadTracker.setConsent)
 *   data-cookie-domain=".example.com" the consent cookie for a /track on another subdomain
 *
 * What it sends:
 *   - a page view on load, with URL, referrer and the session's UTM parameters;
 *   - custom events from elements: <a href="/guide.pdf" data-track="content_download"
 *     data-track-title="ROI guide">; a <form data-track="form_submit"> also sends the domain
 *     (never the address) of its email field as email_domain;
 *   - email_click when a page is opened from an email link (lt_email=click or utm_medium=email),
 *     email_open for lt_email=open;
 *   - anything else through window.leadTracker.track(type, properties).
 *
 * Whose events they are: the server's. The web app issues the visitor id in the HttpOnly
 * lq_vid cookie with a signed proof (a page of the site, or the first /track answer, sets it),
 * and /track stores events under that cookie's id; this script never sees or sends the id.
 * The chat widget gets the same id and its proof from /api/chat/config, so the assistant sees
 * what this visitor did before they typed anything.
 *
 * Consent: with data-consent="required", events wait in the page until the site's banner calls
 * leadTracker.setConsent(true) (sent then) or setConsent(false) (dropped; nothing is sent). The
 * choice is kept in the lq_consent cookie, which /track checks as well; leadTracker.consent()
 * returns "granted", "denied" or null (not chosen yet).
 */
(function () {
  "use strict";
  if (window.leadTracker) return; // the script was included twice

  // Must match leaddb.events.EVENT_TYPES: the server refuses a batch with an unknown type.
  var EVENT_TYPES = [
    "page_view", "pricing_view", "content_download", "webinar_registration", "webinar_attendance",
    "form_submit", "demo_request", "email_open", "email_click", "unsubscribe"
  ];
  var UTM_FIELDS = ["source", "medium", "campaign", "term", "content"];
  var BATCH_SIZE = 20; // the server takes at most 100 events and 64 KiB per request
  var FLUSH_DELAY_MS = 1000;
  var MAX_ATTEMPTS = 3;
  var CONSENT_COOKIE = "lq_consent";
  var CONSENT_SECONDS = 180 * 24 * 3600; // asked again after six months

  var script = document.currentScript;
  var options = (script && script.dataset) || {};
  var endpoint = options.endpoint || (script && script.src ? new URL("/track", script.src).href : "/track");

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID(); // secure contexts only
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function storage(action) {
    try { return action(window.sessionStorage); } catch (blocked) { return null; } // storage may be disabled
  }

  function loadConsent() {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + CONSENT_COOKIE + "=(granted|denied)"));
    return match ? match[1] : null;
  }

  // The campaign that brought the visitor, kept for the rest of the browser session.
  function loadCampaign() {
    var params = new URLSearchParams(location.search);
    var utm = {};
    UTM_FIELDS.forEach(function (name) {
      var value = params.get("utm_" + name);
      if (value) utm[name] = value.slice(0, 255);
    });
    if (Object.keys(utm).length) {
      storage(function (s) { s.setItem("lq_utm", JSON.stringify(utm)); });
      return utm;
    }
    return storage(function (s) { return JSON.parse(s.getItem("lq_utm")); });
  }

  var consentRequired = options.consent === "required";
  var consent = loadConsent();
  var campaign = loadCampaign();
  var queue = []; // {event, attempts}
  var timer = null;

  function maySend() {
    return !consentRequired || consent === "granted";
  }

  function track(type, properties) {
    if (consentRequired && consent === "denied") return null;
    if (EVENT_TYPES.indexOf(type) < 0) {
      if (window.console) console.warn("leadTracker: unknown event type " + JSON.stringify(type));
      return null;
    }
    var event = {
      id: uuid(), // random, so a resent batch is recognised and stored once
      type: type,
      url: location.href,
      referrer: document.referrer || null,
      occurred_at: new Date().toISOString(),
      utm: campaign,
      properties: properties || {}
    };
    queue.push({ event: event, attempts: 0 });
    if (!maySend()) return event.id; // held until the visitor chooses
    if (queue.length >= BATCH_SIZE) flush(false);
    else if (!timer) timer = setTimeout(function () { flush(false); }, FLUSH_DELAY_MS);
    return event.id;
  }

  // A new visitor's id comes with the first answer (its Set-Cookie): until one has arrived on
  // this page, one request at a time, so two requests without the cookie do not get two ids.
  var answered = false;
  var firstInFlight = false;

  // useBeacon: the page is going away; sendBeacon survives that, but says nothing about the answer.
  function flush(useBeacon) {
    clearTimeout(timer);
    timer = null;
    if (!maySend()) return;
    if (!answered && queue.length) {
      // Leaving the page: send now rather than lose the events.
      if (firstInFlight && document.visibilityState !== "hidden") return; // the answer flushes
      if (!firstInFlight) {
        firstInFlight = true;
        send(queue.splice(0, BATCH_SIZE), false, function () { answered = true; flush(false); });
        return;
      }
    }
    while (queue.length) send(queue.splice(0, BATCH_SIZE), useBeacon);
  }

  function send(entries, useBeacon, then) {
    var body = JSON.stringify({ events: entries.map(function (e) { return e.event; }) });
    if (useBeacon && navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) return;
    // text/plain makes this a "simple" cross-origin request: no CORS preflight round trip.
    // credentials: the visitor cookie says whose events these are, the consent cookie that they
    // may be stored (sendBeacon sends both too).
    fetch(endpoint, {
      method: "POST", body: body, keepalive: true, credentials: "include", headers: { "Content-Type": "text/plain" }
    }).then(function (response) {
      if (response.status >= 500) retry(entries);
      else if (!response.ok && window.console) console.warn("leadTracker: events refused (" + response.status + ")");
      if (then) then();
    }, function () {
      retry(entries);
      if (then) then();
    });
  }

  function retry(entries) {
    var again = entries.filter(function (e) { return ++e.attempts < MAX_ATTEMPTS; });
    if (!again.length) return;
    queue = again.concat(queue);
    clearTimeout(timer);
    timer = setTimeout(function () { flush(false); }, 5000 * again[0].attempts);
  }

  function propertiesOf(element) {
    var properties = {};
    Array.prototype.forEach.call(element.attributes, function (attribute) {
      if (attribute.name.indexOf("data-track-") === 0) {
        properties[attribute.name.slice("data-track-".length).replace(/-/g, "_")] = attribute.value.slice(0, 500);
      }
    });
    if (element.href) properties.href = String(element.href).slice(0, 500);
    return properties;
  }

  function trackEmailLanding() {
    var params = new URLSearchParams(location.search);
    var action = params.get("lt_email") || (params.get("utm_medium") === "email" ? "click" : null);
    if (action !== "click" && action !== "open") return;
    if (params.has("lt_email") && window.history && history.replaceState) {
      params.delete("lt_email"); // a reload or a shared link is not another email click
      var search = params.toString();
      history.replaceState(history.state, "", location.pathname + (search ? "?" + search : "") + location.hash);
    }
    var key = "lq_email:" + location.pathname + location.search;
    if (storage(function (s) { return s.getItem(key); })) return; // reloaded within the session
    storage(function (s) { s.setItem(key, "1"); });
    track("email_" + action, { campaign: params.get("utm_campaign") || undefined });
  }

  document.addEventListener("click", function (e) {
    var element = e.target && e.target.closest ? e.target.closest("[data-track]") : null;
    if (!element || element.tagName === "FORM") return;
    track(element.getAttribute("data-track"), propertiesOf(element));
    if (element.tagName === "A") flush(true); // the link may leave the page
  }, true);

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute || !form.hasAttribute("data-track")) return;
    var properties = propertiesOf(form);
    var email = form.querySelector("input[type=email]");
    if (email && email.value.indexOf("@") > 0) properties.email_domain = email.value.split("@").pop().trim().toLowerCase();
    track(form.getAttribute("data-track"), properties);
    flush(true);
  }, true);

  window.addEventListener("pagehide", function () { flush(true); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flush(true);
  });

  function setConsent(granted) {
    consent = granted ? "granted" : "denied";
    var cookie = CONSENT_COOKIE + "=" + consent + "; Max-Age=" + CONSENT_SECONDS + "; Path=/; SameSite=Lax";
    if (options.cookieDomain) cookie += "; Domain=" + options.cookieDomain;
    if (location.protocol === "https:") cookie += "; Secure";
    document.cookie = cookie;
    if (granted) flush(false);
    else queue = [];
  }

  window.leadTracker = {
    track: track,
    flush: function () { flush(false); },
    consentRequired: consentRequired,
    consent: function () { return consent; },
    setConsent: setConsent
  };

  trackEmailLanding();
  if (options.autoPageView !== "false") track("page_view");
})();
