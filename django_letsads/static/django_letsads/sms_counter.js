/*
 * Live counter of an SMS text: characters, encoding, segments and room left in the segment.
 *
 * The rules are not written here: the page carries them as JSON from
 * django_letsads.text.export_rules(), and this file only mirrors the algorithm of text.analyze():
 * GSM-7 when every character is in the basic or extension table (an extension character takes
 * two septets), otherwise UCS-2 (a character outside the BMP takes two code units); one part holds
 * `single` units, a longer text parts of `multi` units, and a two-unit character is never split.
 */
(function () {
  "use strict";

  function analyze(text, rules) {
    var basic = new Set(Array.from(rules.gsm7_basic));
    var extension = new Set(Array.from(rules.gsm7_extension));
    var chars = Array.from(text); // code points, like iterating a Python str
    var gsm7 = chars.every(function (ch) { return basic.has(ch) || extension.has(ch); });
    var encoding = gsm7 ? "GSM-7" : "UCS-2";
    var sizes = chars.map(function (ch) {
      if (gsm7) { return extension.has(ch) ? 2 : 1; }
      return ch.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var units = sizes.reduce(function (a, b) { return a + b; }, 0);
    var single = rules.segments[encoding].single;
    var multi = rules.segments[encoding].multi;
    var segments, perSegment, remaining;
    if (units <= single) {
      segments = units ? 1 : 0;
      perSegment = single;
      remaining = single - units;
    } else {
      segments = 1;
      var used = 0;
      sizes.forEach(function (size) {
        if (used + size > multi) { segments += 1; used = 0; }
        used += size;
      });
      perSegment = multi;
      remaining = multi - used;
    }
    var limit = rules.limits[encoding];
    return {
      encoding: encoding, length: units, units: units, segments: segments,
      per_segment: perSegment, remaining: remaining, limit: limit, over_limit: units > limit
    };
  }

  function fill(template, info) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(info, key) ? String(info[key]) : whole;
    });
  }

  function attach(counter) {
    var textarea = document.getElementById(counter.dataset.letsadsCounter);
    var configNode = document.getElementById(counter.dataset.config);
    if (!textarea || !configNode) { return; }
    var config = JSON.parse(configNode.textContent);
    function update() {
      // Browsers submit line breaks as CRLF; the form stores LF, so count the value as it is.
      var info = analyze(textarea.value, config.rules);
      counter.dataset.encoding = info.encoding;
      counter.dataset.length = info.length;
      counter.dataset.segments = info.segments;
      counter.dataset.remaining = info.remaining;
      counter.dataset.overLimit = info.over_limit ? "true" : "false";
      counter.classList.toggle("letsads-over-limit", info.over_limit);
      if (!textarea.value) {
        counter.textContent = config.labels.empty;
      } else if (info.over_limit) {
        counter.textContent = fill(config.labels.over, info);
      } else {
        counter.textContent = fill(config.labels.summary, info);
      }
    }
    textarea.addEventListener("input", update);
    update();
  }

  function init() {
    document.querySelectorAll("[data-letsads-counter]").forEach(attach);
  }

  window.letsadsAnalyzeText = analyze; // exposed for the browser test to compare with Python
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
