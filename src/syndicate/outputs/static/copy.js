// The copy buttons of the subscribe pages. They are hidden until this runs, and where the
// clipboard cannot be written (an http: page off this machine) they stay hidden: each
// address is on the page as text to select either way.
"use strict";
if (navigator.clipboard && window.isSecureContext) {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const label = button.textContent;
    let timer = 0;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(button.dataset.copy).then(() => {
        button.textContent = button.dataset.copied;
        clearTimeout(timer);
        timer = setTimeout(() => { button.textContent = label; }, 2000);
      });
    });
    button.hidden = false;
  }
}
