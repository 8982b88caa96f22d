// Behaviour wired by data attributes: the Content-Security-Policy allows no inline script or handler.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // <input type="checkbox" data-check-all="NAME">: ticks or clears every checkbox named NAME in its form.
  for (const master of document.querySelectorAll("input[data-check-all]")) {
    master.addEventListener("change", () => {
      const scope = master.form || document;
      for (const box of scope.querySelectorAll(`input[type=checkbox][name="${master.dataset.checkAll}"]`)) {
        box.checked = master.checked;
      }
    });
  }
  // <button data-confirm="…">: asks before submitting.
  for (const button of document.querySelectorAll("[data-confirm]")) {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
});

document.addEventListener("DOMContentLoaded", () => {
  // <button data-toggle="ID">: shows or hides element ID (the menu at phone width).
  for (const toggle of document.querySelectorAll("button[data-toggle]")) {
    const target = document.getElementById(toggle.dataset.toggle);
    if (!target) {
      continue;
    }
    toggle.addEventListener("click", () => {
      const open = target.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
});

document.addEventListener("DOMContentLoaded", () => {
  // <button data-back>: back to the previous page, where the browser keeps what was typed.
  for (const button of document.querySelectorAll("button[data-back]")) {
    button.addEventListener("click", () => window.history.back());
  }
});

document.addEventListener("DOMContentLoaded", () => {
  // <section data-job-poll="URL">: follows a running job, refreshing its bar, figures and log.
  const box = document.querySelector("[data-job-poll]");
  if (!box) {
    return;
  }
  const poll = async () => {
    const response = await fetch(box.dataset.jobPoll, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      return;
    }
    const job = await response.json();
    box.querySelector("progress").value = job.percent;
    box.querySelector("[data-job-count]").textContent = `${job.progress} / ${job.total}`;
    box.querySelector("[data-job-log]").textContent = job.log;
    if (job.status === "done" || job.status === "failed") {
      window.location.reload();  // the finished page shows the result and what to do next
    } else {
      window.setTimeout(poll, 1500);
    }
  };
  window.setTimeout(poll, 1500);
});
