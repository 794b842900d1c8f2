// CertWatch pages work without this script; it adds what HTML alone cannot do:
// upload progress, live batch progress, and keyboard shortcuts in the review queue.
"use strict";

// Forms marked data-upload send their files with a progress bar, then follow the
// server's redirect (the page the server would have shown).
function enhanceUploads() {
  document.querySelectorAll("form[data-upload]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const bar = form.querySelector("progress");
      if (!bar || !window.XMLHttpRequest) return;
      event.preventDefault();
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
      });
      xhr.addEventListener("load", () => {
        if (xhr.responseURL && xhr.responseURL !== form.action) {
          window.location.assign(xhr.responseURL);
        } else {
          document.open(); document.write(xhr.responseText); document.close();
        }
      });
      bar.hidden = false;
      xhr.send(new FormData(form));
    });
  });
}

// A batch page marked data-progress polls its counts until the batch is complete.
function followBatch() {
  const box = document.querySelector("[data-progress]");
  if (!box) return;
  const url = box.getAttribute("data-progress");
  const tick = () => {
    fetch(url, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((batch) => {
        box.querySelectorAll("[data-count]").forEach((el) => {
          el.textContent = batch[el.getAttribute("data-count")];
        });
        const bar = box.querySelector("progress");
        if (bar) { bar.max = batch.total_items || 1; bar.value = batch.processed_count; }
        if (batch.status === "completed") {
          box.setAttribute("data-done", "true");
          const done = box.querySelector("[data-when-done]");
          if (done) done.hidden = false;
        } else {
          setTimeout(tick, 1000);
        }
      })
      .catch(() => setTimeout(tick, 3000));
  };
  tick();
}

// Review queue: Alt+C confirms, Alt+S skips (the buttons say so); Escape leaves a field.
function reviewShortcuts() {
  const page = document.querySelector("[data-review]");
  if (!page) return;
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.activeElement) { document.activeElement.blur(); return; }
    if (!event.altKey) return;
    const key = event.key.toLowerCase();
    const target = key === "c" ? "#confirm" : key === "s" ? "#skip" : null;
    if (target) { event.preventDefault(); document.querySelector(target).click(); }
  });
}

// A document preview says when it has loaded (tests wait for it before a screenshot).
function markPreviews() {
  document.querySelectorAll(".preview iframe, .preview img").forEach((frame) => {
    frame.addEventListener("load", () => frame.setAttribute("data-loaded", "true"));
  });
}

document.addEventListener("DOMContentLoaded", () => {
  markPreviews();
  enhanceUploads();
  followBatch();
  reviewShortcuts();
});
