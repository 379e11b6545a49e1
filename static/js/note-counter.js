// Live character count under notes. Without JavaScript the hint shows the limit.
document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
  var out = document.getElementById(area.dataset.counter);
  var limit = area.maxLength;
  // The words come from the page, in the reader's language: "USED of LIMIT characters used".
  var words = area.dataset.counterWords;
  function update() {
    out.textContent = words.replace("USED", area.value.length).replace("LIMIT", limit);
  }
  area.addEventListener("input", update);
  update();
});
