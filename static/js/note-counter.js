// Live character count under notes. Without JavaScript the hint shows the limit.
document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
  var out = document.getElementById(area.dataset.counter);
  var limit = area.maxLength;
  function update() {
    out.textContent = area.value.length + " of " + limit + " characters used";
  }
  area.addEventListener("input", update);
  update();
});
