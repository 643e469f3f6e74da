/* Live progress of the campaign list and page: while a campaign on the page is sending, ask the
 * admin's progress view for its numbers every few seconds and swap in the parts the server
 * rendered (bar, counts, state, delivery rate, time left). Nothing runs when no campaign on the
 * page is sending, and polling stops as soon as none is. */
(function () {
  "use strict";

  function each(selector, callback) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), callback);
  }

  function activeIds() {
    var ids = [];
    each('[data-letsads-campaign][data-letsads-active="1"]', function (box) {
      var id = box.getAttribute("data-letsads-campaign");
      if (ids.indexOf(id) < 0) {
        ids.push(id);
      }
    });
    return ids;
  }

  function apply(item) {
    var id = String(item.id);
    each('[data-letsads-campaign="' + id + '"]', function (box) {
      var compact = box.getAttribute("data-letsads-compact") === "1";
      box.innerHTML = compact ? item.progress_compact : item.progress;
      box.setAttribute("data-letsads-active", item.active ? "1" : "0");
    });
    each('[data-letsads-state="' + id + '"]', function (cell) {
      cell.textContent = item.state_label;
    });
    each('[data-letsads-rate="' + id + '"]', function (cell) {
      cell.textContent = item.rate;
    });
    each('[data-letsads-counts="' + id + '"]', function (cell) {
      cell.innerHTML = item.counts;
    });
  }

  function start() {
    var first = document.querySelector("[data-letsads-campaign]");
    if (!first) {
      return;
    }
    var url = first.getAttribute("data-letsads-url");
    var interval = 1000 * Number(first.getAttribute("data-letsads-interval") || 5);
    var failures = 0;

    function later() {
      if (activeIds().length) {
        // After a failed request wait longer each time (up to a minute), then carry on.
        window.setTimeout(poll, Math.min(60000, interval * Math.pow(2, failures)));
      }
    }

    function poll() {
      var ids = activeIds();
      if (!ids.length) {
        return;
      }
      if (document.hidden) {  // a background tab asks nothing
        later();
        return;
      }
      var query = ids.map(function (id) { return "id=" + encodeURIComponent(id); }).join("&");
      window.fetch(url + "?" + query, {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      }).then(function (data) {
        failures = 0;
        data.campaigns.forEach(apply);
        document.documentElement.setAttribute("data-letsads-refreshed", String(Date.now()));
        later();
      }).catch(function () {
        failures += 1;
        later();
      });
    }

    poll();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
