/*
 * Live counter of an SMS text: characters, encoding, segments and room left in the segment.
 *
 * The rules are not written here: the page carries them as JSON from
 * django_letsads.text.export_rules(), and this file only mirrors the algorithm of text.analyze():
 * GSM-7 when every character is in the basic or extension table (an extension character takes
 * two septets), otherwise UCS-2 (a character outside the BMP takes two code units); one part holds
 * `single` units, a longer text parts of `multi` units, and a two-unit character is never split.
 *
 * It also mirrors django_letsads.translit.transliterate() (the tables in rules.translit) and
 * django_letsads.gsm7.gsm7_suggestions() (the twins in rules.gsm7_twins): with "transliterate"
 * ticked the counter counts the text that will be sent, and it offers to replace the characters
 * that force UCS-2 although they have a GSM-7 twin.
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

  var LETTER = /\p{L}/u;
  var UPPER = /\p{Lu}/u;

  function transliterate(text, translit, language) {
    var table = translit.tables[language || "uk"];
    var apostrophes = translit.apostrophes;
    var chars = Array.from(text);
    function isLetter(ch) { return LETTER.test(ch) && apostrophes.indexOf(ch) < 0; }
    function has(map, key) { return Object.prototype.hasOwnProperty.call(map, key); }
    function word(letters) {
      var cased = letters.filter(function (ch) { return ch.toLowerCase() !== ch.toUpperCase(); });
      var allCaps = cased.length > 1 && cased.every(function (ch) { return UPPER.test(ch); });
      var out = "", previous = "";
      letters.forEach(function (ch, position) {
        if (apostrophes.indexOf(ch) >= 0) { return; }
        var lower = ch.toLowerCase(), latin = null;
        if (has(table.after, previous + lower)) { latin = table.after[previous + lower]; }
        if (latin === null && position === 0 && has(table.initial, lower)) {
          latin = table.initial[lower];
        }
        if (latin === null && has(table.letters, lower)) { latin = table.letters[lower]; }
        previous = lower;
        if (latin === null) { out += ch; }
        else if (!UPPER.test(ch)) { out += latin; }
        else if (allCaps) { out += latin.toUpperCase(); }
        else { out += latin.charAt(0).toUpperCase() + latin.slice(1); }
      });
      return out;
    }
    function quotes(part) {
      return part.map(function (ch) { return apostrophes.indexOf(ch) >= 0 ? "'" : ch; }).join("");
    }
    var out = "", start = -1, last = 0;
    for (var i = 0; i <= chars.length; i++) {
      var ch = chars[i];
      var inside = i < chars.length && (isLetter(ch) || (apostrophes.indexOf(ch) >= 0 &&
        start >= 0 && i + 1 < chars.length && isLetter(chars[i + 1])));
      if (inside && start < 0) { start = i; }
      else if (!inside && start >= 0) {
        out += quotes(chars.slice(last, start)) + word(chars.slice(start, i));
        last = i;
        start = -1;
      }
    }
    return out + quotes(chars.slice(last));
  }

  function replaceTwins(text, twins, only) {
    return Array.from(text).map(function (ch) {
      var hit = Object.prototype.hasOwnProperty.call(twins, ch) && (!only || only.indexOf(ch) >= 0);
      return hit ? twins[ch] : ch;
    }).join("");
  }

  function gsm7Suggestions(text, rules) {
    if (analyze(text, rules).encoding === "GSM-7") { return []; }
    var twins = rules.gsm7_twins, order = [], positions = {};
    Array.from(text).forEach(function (ch, index) {
      if (!Object.prototype.hasOwnProperty.call(twins, ch)) { return; }
      if (!positions[ch]) { positions[ch] = []; order.push(ch); }
      positions[ch].push(index);
    });
    if (!order.length) { return []; }
    var before = analyze(text, rules).segments;
    var afterAll = analyze(replaceTwins(text, twins), rules).segments;
    return order.map(function (ch) {
      return {
        character: ch, replacement: twins[ch], positions: positions[ch],
        segments_before: before,
        segments_after: analyze(replaceTwins(text, twins, [ch]), rules).segments,
        segments_after_all: afterAll,
        codepoint: "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")
      };
    });
  }

  function ucs2Characters(text, rules) {
    var seen = [];
    Array.from(text).forEach(function (ch) {
      if (analyze(ch, rules).encoding !== "GSM-7" && seen.indexOf(ch) < 0) { seen.push(ch); }
    });
    return seen;
  }

  function codepoint(ch) {
    return ch + " (U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + ")";
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
    var checkbox = textarea.dataset.transliterate ?
      document.getElementById(textarea.dataset.transliterate) : null;
    var extra = document.createElement("div");
    extra.className = "letsads-counter-extra";
    counter.insertAdjacentElement("afterend", extra);

    function replaceAll(characters) {
      textarea.value = replaceTwins(textarea.value, config.rules.gsm7_twins, characters);
      textarea.dispatchEvent(new Event("input"));
    }

    function button(label, characters) {
      var node = document.createElement("button");
      node.type = "button";
      node.className = "button letsads-replace";
      node.textContent = label;
      if (characters) { node.dataset.character = characters[0]; }
      node.addEventListener("click", function () { replaceAll(characters); });
      return node;
    }

    function render(written, outgoing, translitOn) {
      extra.replaceChildren();
      if (translitOn && written) {
        var line = document.createElement("div");
        line.id = textarea.id + "_translit";
        line.className = "letsads-translit";
        line.dataset.before = analyze(written, config.rules).segments;
        line.dataset.after = analyze(outgoing, config.rules).segments;
        line.textContent = fill(config.labels.translit,
          { before: line.dataset.before, after: line.dataset.after });
        var preview = document.createElement("div");
        preview.id = textarea.id + "_preview";
        preview.className = "letsads-preview";
        preview.textContent = outgoing;
        extra.append(line, preview);
        var still = ucs2Characters(outgoing, config.rules);
        if (still.length) {
          var why = document.createElement("div");
          why.className = "letsads-still-ucs2";
          why.textContent = fill(config.labels.still_ucs2,
            { characters: still.map(codepoint).join(", ") });
          extra.append(why);
        }
      }
      // What replacing saves is measured on the text that will be sent; the twins survive
      // transliteration, so replacing them in the typed text is the same fix.
      var suggestions = gsm7Suggestions(outgoing, config.rules);
      if (!suggestions.length) { return; }
      var box = document.createElement("div");
      box.id = textarea.id + "_suggestions";
      box.className = "letsads-suggestions";
      box.append(config.labels.suggestions + " ");
      suggestions.forEach(function (s) {
        var shown = s.replacement === "" ? "∅" : s.replacement;
        var label = codepoint(s.character) + " → " + shown + " ×" + s.positions.length + " · " +
          config.labels.replace;
        box.append(button(label, [s.character]), " ");
      });
      box.append(button(fill(config.labels.replace_all, {
        before: suggestions[0].segments_before, after: suggestions[0].segments_after_all
      }), null));
      extra.append(box);
    }

    function update() {
      // Browsers submit line breaks as CRLF; the form stores LF, so count the value as it is.
      var translitOn = Boolean(checkbox && checkbox.checked);
      var written = textarea.value;
      var outgoing = translitOn ? transliterate(written, config.rules.translit, "uk") : written;
      render(written, outgoing, translitOn);
      var info = analyze(outgoing, config.rules);
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
    if (checkbox) { checkbox.addEventListener("change", update); }
    update();
  }

  function init() {
    document.querySelectorAll("[data-letsads-counter]").forEach(attach);
  }

  // Exposed for the browser test to compare with Python.
  window.letsadsAnalyzeText = analyze;
  window.letsadsTransliterate = transliterate;
  window.letsadsGsm7Suggestions = gsm7Suggestions;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
