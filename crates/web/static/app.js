// Linli's only script, and every page works without it:
// - asks before destructive form submissions marked data-confirm;
// - shows a fieldset marked data-for-kind="K" only while the select named by its
//   data-kind-of attribute has an option of that kind chosen (the dispute fields of the
//   report form appear for dispute categories only).
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
