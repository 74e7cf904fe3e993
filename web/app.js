// Parley's web page: record or choose audio, send it to POST /v1/speech-translation, show and play
// the English result. Plain JavaScript, no build step, nothing loaded from elsewhere.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const state = { source: "mic", recording: null, micBlob: null, file: null, busy: false, resultUrl: null, timer: null };

  // Languages offered in the menu (Whisper knows ~100; the server accepts any of its codes).
  const LANGUAGES = ["ar", "ca", "cs", "da", "de", "el", "es", "fa", "fi", "fr", "he", "hi", "hu", "id", "it", "ja",
    "ko", "ms", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sv", "sw", "ta", "th", "tr", "uk", "ur", "vi", "zh"];
  const languageNames = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "language" }) : null;
  const languageName = (code) => { try { return languageNames ? languageNames.of(code) : code; } catch { return code; } };

  function fillLanguages() {
    const select = $("language");
    LANGUAGES.map((code) => [code, languageName(code)])
      .sort((a, b) => a[1].localeCompare(b[1]))
      .forEach(([code, name]) => select.add(new Option(`${name} (${code})`, code)));
  }

  async function loadVoices() {
    const select = $("voice");
    try {
      const response = await fetch("/v1/voices");
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { voices, default: fallback } = await response.json();
      select.innerHTML = "";
      voices.forEach((v) => select.add(new Option(v === fallback ? `${v} (default)` : v, v, false, v === fallback)));
      select.disabled = false;
    } catch (err) {
      select.innerHTML = "";
      select.add(new Option("Default voice", ""));
      select.disabled = false;
    }
  }

  // --- Tabs (WAI-ARIA tabs pattern: arrow keys move between tabs) ---------------------------------
  function selectTab(tab) {
    document.querySelectorAll('[role="tab"]').forEach((t) => {
      const selected = t === tab;
      t.setAttribute("aria-selected", String(selected));
      t.tabIndex = selected ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !selected;
    });
    state.source = tab.id === "tab-mic" ? "mic" : "file";
    showError("");
    updateTranslateButton();
  }
  function setupTabs() {
    const tabs = [...document.querySelectorAll('[role="tab"]')];
    tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => selectTab(tab));
      tab.addEventListener("keydown", (e) => {
        const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        const next = tabs[(i + step + tabs.length) % tabs.length];
        selectTab(next);
        next.focus();
      });
    });
  }

  // --- Microphone ----------------------------------------------------------------------------------
  function formatSeconds(s) { return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`; }

  async function toggleRecording() {
    const button = $("record");
    if (!state.recording) {
      showError("");
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        showError("This browser cannot record audio here. Open the page over https or on localhost, or use the Audio File tab.");
        return;
      }
      try {
        state.recording = await ParleyWav.record((level) => { $("meter-level").style.width = `${Math.min(100, level * 140)}%`; });
      } catch (err) {
        showError(err && err.name === "NotAllowedError"
          ? "Microphone access was denied. Allow it in the browser's site settings, or use the Audio File tab."
          : `Could not start the microphone: ${err.message || err}`);
        return;
      }
      button.setAttribute("aria-pressed", "true");
      button.querySelector(".record-label").textContent = "Stop recording";
      $("mic-status").textContent = "Recording… speak now.";
      state.timer = setInterval(() => { $("record-time").textContent = formatSeconds(state.recording.seconds()); }, 200);
      updateTranslateButton();
      return;
    }
    clearInterval(state.timer);
    const recording = state.recording;
    state.recording = null;
    button.setAttribute("aria-pressed", "false");
    button.querySelector(".record-label").textContent = "Record again";
    $("meter-level").style.width = "0";
    const seconds = recording.seconds();
    state.micBlob = await recording.stop();
    const preview = $("mic-preview");
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(state.micBlob);
    preview.hidden = false;
    $("mic-status").textContent = `Recorded ${seconds.toFixed(1)} seconds. Press Translate to English.`;
    updateTranslateButton();
  }

  // --- File ----------------------------------------------------------------------------------------
  function chooseFile(file) {
    state.file = file || null;
    $("file-name").textContent = file ? `${file.name} · ${(file.size / 1048576).toFixed(2)} MB` : "";
    showError("");
    updateTranslateButton();
  }
  function setupFile() {
    $("file-input").addEventListener("change", (e) => chooseFile(e.target.files[0]));
    const zone = $("dropzone");
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("dragging"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("dragging");
      if (e.dataTransfer.files.length) chooseFile(e.dataTransfer.files[0]);
    });
  }

  // --- Translate -----------------------------------------------------------------------------------
  function currentAudio() {
    if (state.source === "mic") return state.micBlob ? { blob: state.micBlob, name: "recording.wav" } : null;
    return state.file ? { blob: state.file, name: state.file.name } : null;
  }
  function updateTranslateButton() {
    $("translate").disabled = state.busy || !!state.recording || !currentAudio();
  }
  function setBusy(busy) {
    state.busy = busy;
    const button = $("translate");
    button.classList.toggle("busy", busy);
    button.setAttribute("aria-busy", String(busy));
    button.querySelector(".translate-label").textContent = busy ? "Translating…" : "Translate to English";
    updateTranslateButton();
  }
  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  function base64ToBlob(data, type) {
    const bytes = atob(data);
    const array = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return new Blob([array], { type });
  }

  const STAGE_NAMES = { queue: "Waiting for a worker", decode: "Reading the audio", asr: "Speech recognition (Whisper)",
    tts: "Speech synthesis (SpeechT5)", vocoder: "Vocoder (HiFi-GAN)", encode: "Writing the WAV", total: "Total" };

  function showResult(answer) {
    const name = answer.language_name || languageName(answer.language);
    $("result-language").textContent = `${name.charAt(0).toUpperCase()}${name.slice(1)} (${answer.language})`;
    $("result-text").textContent = answer.text || "(no speech recognised)";
    if (state.resultUrl) URL.revokeObjectURL(state.resultUrl);
    state.resultUrl = URL.createObjectURL(base64ToBlob(answer.audio, "audio/wav"));
    $("result-audio").src = state.resultUrl;
    $("download").href = state.resultUrl;
    const rows = $("timings");
    rows.innerHTML = "";
    Object.entries(answer.timings || {}).forEach(([key, ms]) => {
      const stage = key.replace(/_ms$/, "");
      const row = rows.insertRow();
      row.insertCell().textContent = STAGE_NAMES[stage] || stage;
      row.insertCell().textContent = ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
      if (stage === "total") row.classList.add("total");
    });
    $("result").hidden = false;
    $("result").scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  async function translate() {
    const audio = currentAudio();
    if (!audio) return;
    showError("");
    setBusy(true);
    const form = new FormData();
    form.append("file", audio.blob, audio.name);
    form.append("language", $("language").value);
    if ($("voice").value) form.append("voice", $("voice").value);
    try {
      const response = await fetch("/v1/speech-translation", { method: "POST", body: form });
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        const message = body && body.error ? body.error.message : `the server answered ${response.status}`;
        const hint = response.status === 503 ? " The server is busy; try again in a moment." : "";
        throw new Error(`${message}${/[.!?)]$/.test(message) ? "" : "."}${hint}`);
      }
      showResult(body);
    } catch (err) {
      showError(err instanceof TypeError ? "Could not reach the Parley server. Is it still running?" : err.message);
    } finally {
      setBusy(false);
    }
  }

  function setup() {
    fillLanguages();
    loadVoices();
    setupTabs();
    setupFile();
    $("record").addEventListener("click", toggleRecording);
    $("translate").addEventListener("click", translate);
    $("copy").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText($("result-text").textContent);
        $("copy").textContent = "Copied";
        setTimeout(() => { $("copy").textContent = "Copy text"; }, 1500);
      } catch { showError("Could not copy: select the text and copy it instead."); }
    });
  }

  setup();
})();
