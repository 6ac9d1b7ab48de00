// Linli's only script, and every page works without it:
// - asks before destructive form submissions marked data-confirm;
// - on a phone, scrolls the one-line navigation to the current page's item;
// - shows a fieldset marked data-for-kind="K" only while the select named by its
//   data-kind-of attribute has an option of that kind chosen (the dispute fields of the
//   report form appear for dispute categories only);
// - shows a survey question marked data-show-if="O" only while option O is chosen in a
//   question that is itself shown (the server ignores a hidden question's answer).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

function syncKindFields() {
  document.querySelectorAll("[data-for-kind]").forEach(function (block) {
    var select = document.getElementById(block.getAttribute("data-kind-of"));
    if (!select) return;
    var option = select.options[select.selectedIndex];
    var kind = option ? option.getAttribute("data-kind") : null;
    block.hidden = kind !== block.getAttribute("data-for-kind");
  });
}
document.addEventListener("change", syncKindFields);
document.addEventListener("DOMContentLoaded", syncKindFields);

function syncConditions() {
  // In page order, so a question's condition is settled before the questions it opens.
  document.querySelectorAll("fieldset[data-show-if]").forEach(function (block) {
    var option = document.querySelector('input[data-option="' + block.getAttribute("data-show-if") + '"]');
    var owner = option && option.closest("fieldset");
    block.hidden = !(option && option.checked && owner && !owner.hidden);
  });
}
document.addEventListener("change", syncConditions);
document.addEventListener("DOMContentLoaded", syncConditions);

// A map marked as a picker chooses the building that is clicked, or else sets the form's
// lon/lat inputs where it is clicked.
document.addEventListener("click", function (event) {
  var svg = event.target.closest && event.target.closest("svg.picker");
  if (!svg) return;
  event.preventDefault();
  var picked = event.target.closest("[data-building]");
  var select = document.getElementById("building_id");
  if (picked && select) {
    select.value = picked.getAttribute("data-building");
    document.getElementById("lon").value = "";
    document.getElementById("lat").value = "";
    var said = document.getElementById("picked");
    if (said) said.textContent = picked.getAttribute("data-name");
    return;
  }
  var p = svg.createSVGPoint();
  p.x = event.clientX;
  p.y = event.clientY;
  var at = p.matrixTransform(svg.getScreenCTM().inverse());
  var d = svg.dataset;
  var lon = +d.lon0 + (at.x - +d.pad) / +d.sx;
  var lat = +d.lat0 - (at.y - +d.pad) / +d.sy;
  var mark = document.getElementById("pick-mark");
  mark.setAttribute("cx", at.x);
  mark.setAttribute("cy", at.y);
  document.getElementById("lon").value = lon.toFixed(6);
  document.getElementById("lat").value = lat.toFixed(6);
  var building = document.getElementById("building_id");
  if (building) building.value = "";
  var shown = document.getElementById("picked");
  if (shown) shown.textContent = lat.toFixed(5) + ", " + lon.toFixed(5);
});

// A live board (data-live: its event stream) fetches itself again (data-fragment) when
// the server says its alarms changed; without the script the page is reloaded by hand.
document.addEventListener("DOMContentLoaded", function () {
  var board = document.querySelector("[data-live]");
  if (!board || !window.EventSource) return;
  var busy = false;
  var source = new EventSource(board.getAttribute("data-live"));
  source.addEventListener("alarms", function () {
    if (busy) return;
    busy = true;
    fetch(board.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (r) {
        // Signed out meanwhile (sent to the login page): reload the whole page instead.
        if (r.redirected || !r.ok) { source.close(); window.location.reload(); return null; }
        return r.text();
      })
      .then(function (html) { if (html !== null) board.innerHTML = html; })
      .finally(function () { busy = false; });
  });
});

var currentNav = document.querySelector(".nav [aria-current=page]");
if (currentNav && currentNav.parentElement.scrollWidth > currentNav.parentElement.clientWidth) {
  currentNav.scrollIntoView({ block: "nearest", inline: "center" });
}

// A "print" button (the printable notice for the physical board).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
