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

  function analyze(text, rules, forceUcs2) {
    var basic = new Set(Array.from(rules.gsm7_basic));
    var extension = new Set(Array.from(rules.gsm7_extension));
    var chars = Array.from(text); // code points, like iterating a Python str
    var gsm7 = !forceUcs2 &&
      chars.every(function (ch) { return basic.has(ch) || extension.has(ch); });
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

  // Mirrors django_letsads.merge.parse(): {field}, {field|default}, {{ and }} for braces.
  // Returns null for a text that is not a valid template (the form says why on saving).
  function parseTemplate(text) {
    var parts = [], literal = "", i = 0, name = /^[\p{L}\p{N}_]+$/u;
    while (i < text.length) {
      var ch = text.charAt(i);
      if (ch === "{" && text.charAt(i + 1) === "{") { literal += "{"; i += 2; }
      else if (ch === "}" && text.charAt(i + 1) === "}") { literal += "}"; i += 2; }
      else if (ch === "}") { return null; }
      else if (ch === "{") {
        var end = text.indexOf("}", i + 1), nested = text.indexOf("{", i + 1);
        if (end < 0 || (nested >= 0 && nested < end)) { return null; }
        var body = text.slice(i + 1, end), bar = body.indexOf("|");
        var field = bar < 0 ? body : body.slice(0, bar);
        if (!name.test(field)) { return null; }
        if (literal) { parts.push(literal); literal = ""; }
        parts.push({ name: field, fallback: bar < 0 ? null : body.slice(bar + 1) });
        i = end + 1;
      } else { literal += ch; i += 1; }
    }
    if (literal) { parts.push(literal); }
    return parts;
  }

  // The longest or shortest text the recipients' data can make of `parts`: each placeholder
  // takes its field's longest (shortest) value, or its default where some value is missing.
  function extremeText(parts, fields, fixed, longest) {
    var out = "";
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i];
      if (typeof part === "string") { out += part; continue; }
      if (Object.prototype.hasOwnProperty.call(fixed, part.name)) { out += fixed[part.name]; continue; }
      var info = fields[part.name], candidates = [];
      var value = info && (longest ? info.longest : info.shortest);
      if (value !== null && value !== undefined) { candidates.push(value); }
      if (part.fallback !== null && (!info || info.missing || value === null)) {
        candidates.push(part.fallback);
      }
      if (!candidates.length) { return null; }
      candidates.sort(function (a, b) { return Array.from(a).length - Array.from(b).length; });
      out += longest ? candidates[candidates.length - 1] : candidates[0];
    }
    return out;
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

    // The longest and shortest renderings over the campaign's recipients (issue 18): the
    // server says per field its extreme values (admin/preview.py), asked for once per set of
    // fields and after typing pauses; the browser renders and counts. Recipient data is shown
    // with textContent only.
    var extremesUrl = textarea.dataset.extremesUrl;
    var renderings = document.createElement("div");
    renderings.id = textarea.id + "_renderings";
    renderings.className = "letsads-renderings";
    extra.insertAdjacentElement("afterend", renderings);
    var known = {}, timer = null;

    function line(className, label, info, value) {
      var head = document.createElement("div");
      head.className = className;
      head.dataset.segments = info.segments;
      head.dataset.length = info.length;
      head.dataset.encoding = info.encoding;
      head.textContent = fill(label, info);
      var body = document.createElement("div");
      body.className = "letsads-preview " + className + "-text";
      body.textContent = value;
      renderings.append(head, body);
    }

    function note(className, text) {
      var node = document.createElement("div");
      node.className = className;
      node.textContent = text;
      renderings.append(node);
    }

    function drawRenderings(parts, names, translitOn) {
      renderings.replaceChildren();
      var fields = {};
      names.forEach(function (name) { fields[name] = known[name]; });
      var fixed = config.fixed || {};
      var absent = names.filter(function (name) {
        var info = fields[name];
        var fallback = parts.some(function (p) {
          return typeof p !== "string" && p.name === name && p.fallback !== null;
        });
        return info.longest === null && !fallback;
      });
      if (absent.length) {
        note("letsads-no-data", fill(config.labels.no_data, {
          fields: absent.map(function (n) { return "{" + n + "}"; }).join(", ")
        }));
        return;
      }
      var longest = extremeText(parts, fields, fixed, true);
      var shortest = extremeText(parts, fields, fixed, false);
      if (longest === null || shortest === null) { return; }
      if (translitOn) {
        longest = transliterate(longest, config.rules.translit, "uk");
        shortest = transliterate(shortest, config.rules.translit, "uk");
      }
      var top = analyze(longest, config.rules);
      line("letsads-longest", config.labels.longest, top, longest);
      line("letsads-shortest", config.labels.shortest, analyze(shortest, config.rules), shortest);
      var ucs2 = names.some(function (name) { return fields[name].non_gsm7; });
      if (ucs2 && !translitOn && top.encoding === "GSM-7") {
        note("letsads-some-ucs2", fill(config.labels.some_ucs2,
          { segments: analyze(longest, config.rules, true).segments }));
      }
      var dropped = names.filter(function (name) {
        return fields[name].missing && parts.some(function (p) {
          return typeof p !== "string" && p.name === name && p.fallback === null;
        });
      });
      if (dropped.length) {
        note("letsads-left-out", fill(config.labels.left_out, {
          fields: dropped.map(function (n) { return "{" + n + "}"; }).join(", ")
        }));
      }
    }

    function previewRenderings(written, translitOn) {
      var parts = extremesUrl ? parseTemplate(written) : null;
      var fixed = config.fixed || {};
      var names = [];
      (parts || []).forEach(function (p) {
        if (typeof p !== "string" && !Object.prototype.hasOwnProperty.call(fixed, p.name) &&
            names.indexOf(p.name) < 0) { names.push(p.name); }
      });
      if (!names.length) { renderings.replaceChildren(); return; }
      var missing = names.filter(function (n) { return !known[n]; });
      if (!missing.length) { drawRenderings(parts, names, translitOn); return; }
      clearTimeout(timer);
      timer = setTimeout(function () {
        var url = extremesUrl + "?fields=" + encodeURIComponent(missing.join(","));
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (answer) {
            if (!answer) { return; }
            Object.keys(answer.fields).forEach(function (n) { known[n] = answer.fields[n]; });
            update();
          });
      }, 300);
    }

    function update() {
      // Browsers submit line breaks as CRLF; the form stores LF, so count the value as it is.
      var translitOn = Boolean(checkbox && checkbox.checked);
      var written = textarea.value;
      var outgoing = translitOn ? transliterate(written, config.rules.translit, "uk") : written;
      render(written, outgoing, translitOn);
      previewRenderings(written, translitOn);
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
  window.letsadsParseTemplate = parseTemplate;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
