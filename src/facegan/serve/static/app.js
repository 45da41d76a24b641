// facegan page: drives POST /api/generate and /api/interpolate; no build step, no libraries.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_SEED = 4294967295;
let models = [];
let latestRequest = 0; // answers to older requests are dropped, so the image matches the controls
const objectUrls = {};

function currentModel() {
  return models.find((m) => m.name === $("model").value) || models[0];
}

function conditionFields() {
  const model = currentModel();
  const body = { model: model.name, format: "png" };
  if ($("truncate").checked) body.truncation = Number($("truncation").value);
  if (model.sampling && model.sampling.steps) body.sampling_steps = Number($("sampling-steps").value);
  if (model.label_kind === "class") {
    const choice = document.querySelector("#label-controls select").value;
    if (choice) body.labels = [choice];
  } else if (model.label_kind === "multilabel") {
    const boxes = [...document.querySelectorAll("#label-controls input:checked")];
    const groups = [...document.querySelectorAll("#label-controls select")];
    body.labels = [...boxes.map((box) => box.value),
                   ...groups.map((select) => select.value).filter(Boolean)];
  }
  if (model.embedding_dim > 0) {
    const text = $("embedding").value.trim();
    body.embedding = text ? text.split(/[\s,]+/).map(Number) : [];
  }
  return body;
}

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

async function errorText(response) {
  try {
    const { detail } = await response.json();
    if (Array.isArray(detail)) {
      return detail.map((d) => `${d.loc[d.loc.length - 1]}: ${d.msg}`).join("; ");
    }
    return detail || response.statusText;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

async function fetchImage(path, body, img) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(await errorText(response));
  const blob = await response.blob();
  if (objectUrls[img.id]) URL.revokeObjectURL(objectUrls[img.id]);
  objectUrls[img.id] = URL.createObjectURL(blob);
  return objectUrls[img.id];
}

async function generate() {
  const request = ++latestRequest;
  const seed = Number($("seed").value);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    setStatus(`The seed must be a whole number from 0 to ${MAX_SEED}.`, true);
    return;
  }
  const body = { ...conditionFields(), seed, n: Number($("count").value) };
  setStatus("Generating…");
  const started = performance.now();
  try {
    const url = await fetchImage("/api/generate", body, $("image"));
    if (request !== latestRequest) return;
    $("image").src = url;
    $("image").dataset.seed = String(seed);
    $("download").href = url;
    $("download").download = `facegan-${body.model}-seed${seed}.png`;
    $("download").hidden = false;
    setStatus(`Seed ${seed} · ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    if (request === latestRequest) setStatus(error.message, true);
  }
}

async function interpolate() {
  const body = {
    ...conditionFields(),
    seed_a: Number($("seed").value),
    seed_b: Number($("seed-b").value),
    steps: Number($("steps").value),
  };
  try {
    $("strip").src = await fetchImage("/api/interpolate", body, $("strip"));
    $("strip").hidden = false;
  } catch (error) {
    setStatus(error.message, true);
  }
}

function showModel() {
  const model = currentModel();
  const trained = model.training.epoch !== undefined ? ` · ${model.training.epoch} epochs` : "";
  $("model-info").textContent =
    `${model.dataset || model.name} · ${model.resolution}×${model.resolution} px` +
    ` · ${model.backend}${trained}`;
  const controls = $("label-controls");
  controls.replaceChildren();
  $("labels").hidden = model.label_kind === "none";
  if (model.label_kind === "class") {
    $("labels-legend").textContent = "Class";
    const select = document.createElement("select");
    select.setAttribute("aria-label", "Class");
    select.append(new Option("random per image", ""));
    model.labels.forEach((name) => select.append(new Option(name, name)));
    select.addEventListener("change", generate);
    controls.append(select);
  } else if (model.label_kind === "multilabel") {
    $("labels-legend").textContent = "Attributes";
    // an attribute is a checkbox; a one-hot tag group (hair_color=black, hair_color=blond, ...)
    // is one select at its first value, since an image has at most one value of each
    const groupOf = {};
    Object.entries(model.label_groups).forEach(([group, names]) => {
      names.forEach((name) => { groupOf[name] = group; });
    });
    model.labels.forEach((name) => {
      const group = groupOf[name];
      if (group === undefined) {
        const label = document.createElement("label");
        const box = Object.assign(document.createElement("input"),
                                  { type: "checkbox", value: name });
        box.addEventListener("change", generate);
        label.append(box, name.replaceAll("_", " "));
        controls.append(label);
      } else if (model.label_groups[group][0] === name) {
        controls.append(groupSelect(group, model.label_groups[group]));
      }
    });
  }
  $("embedding-box").hidden = model.embedding_dim === 0;
  $("embedding-size").textContent = `(${model.embedding_dim} numbers)`;
  // diffusion models: denoising steps, from their default, at most 100 (the server's bound)
  const steps = model.sampling && model.sampling.steps;
  $("sampling-box").hidden = !steps;
  if (steps) {
    $("sampling-steps").max = String(Math.min(100, model.sampling.num_train_timesteps));
    $("sampling-steps").value = String(Math.min(100, steps));
    $("sampling-steps-value").textContent = $("sampling-steps").value;
  }
}

function groupSelect(group, names) {
  const label = Object.assign(document.createElement("label"), { className: "group" });
  const select = document.createElement("select");
  select.dataset.group = group;
  select.append(new Option("unset", ""));
  names.forEach((name) => {
    select.append(new Option(name.slice(group.length + 1).replaceAll("_", " "), name));
  });
  select.addEventListener("change", generate);
  label.append(group.replaceAll("_", " "), select);
  return label;
}

async function start() {
  const response = await fetch("/api/models");
  models = await response.json();
  models.forEach((m) => $("model").append(new Option(m.name, m.name)));
  $("model").hidden = models.length < 2;
  document.querySelector('label[for="model"]').hidden = models.length < 2;
  showModel();

  $("model").addEventListener("change", () => {
    showModel();
    generate();
    if (!$("strip").hidden) interpolate();
  });
  $("seed").addEventListener("change", generate);
  $("count").addEventListener("change", generate);
  $("embedding").addEventListener("change", generate);
  $("random").addEventListener("click", () => {
    $("seed").value = Math.floor(Math.random() * MAX_SEED);
    generate();
  });
  $("truncate").addEventListener("change", () => {
    $("truncation").disabled = !$("truncate").checked;
    generate();
  });
  $("truncation").addEventListener("input", () => {
    $("truncation-value").textContent = Number($("truncation").value).toFixed(1);
  });
  $("truncation").addEventListener("change", generate);
  $("sampling-steps").addEventListener("input", () => {
    $("sampling-steps-value").textContent = $("sampling-steps").value;
  });
  $("sampling-steps").addEventListener("change", generate);
  $("interpolate").addEventListener("click", interpolate);
  $("controls").addEventListener("submit", (event) => { event.preventDefault(); generate(); });
  await generate();
  await interpolate();
}

start().catch((error) => setStatus(`Could not reach the server: ${error.message}`, true));
