// Parley's web page: record or choose audio, send it to POST /v1/speech-translation/stream, show the
// English text and play each sentence as soon as it is made (stream.js); in continuous mode the
// microphone is cut at pauses and each piece is translated while the person keeps speaking.
// Plain JavaScript, no build step, nothing loaded from elsewhere.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const state = { source: "mic", recording: null, micBlob: null, file: null, busy: false, resultUrl: null, timer: null,
    player: null, continuous: null };
  // What the last translation did, for tests and the curious: performance.now() times of the request,
  // the first audio starting to play, and the done event (window.parleyStream).
  window.parleyStream = null;

  const languageName = (code) => {
    const known = state.languages.find((l) => l.code === code);
    return known ? known.name : ParleyLanguages.nameOf(code);
  };
  state.languages = [];

  // The spoken-language menu (what the server hears) and the target picker (what it speaks; those
  // whose models are not on the server's disk yet are marked), the browser's language preselected.
  async function fillLanguages() {
    const { list } = await ParleyLanguages.load();
    state.languages = list;
    const spoken = $("language");
    [...list].filter((l) => l.hear).sort((a, b) => a.name.localeCompare(b.name))
      .forEach((l) => spoken.add(new Option(`${l.name} (${l.code})`, l.code)));
    const speaks = (l) => !!l.speak;
    const chosen = ParleyLanguages.preferred(list, speaks, navigator.languages);
    ParleyLanguages.fillPicker($("target"), $("target-filter"), list, speaks, chosen,
      (l) => (!l.speak ? "no voice" : ParleyLanguages.needsDownload(l) ? "needs a download" : ""));
    $("target").disabled = false;
    $("target").addEventListener("change", targetChanged);
    targetChanged();
    document.dispatchEvent(new CustomEvent("parley-languages", { detail: list }));
  }
  function targetName() { return languageName($("target").value || "en"); }
  // SpeechT5's voices are English ones; other targets use the language's own voice.
  function targetChanged() {
    const english = ($("target").value || "en") === "en";
    $("voice").disabled = !english || $("voice").options.length === 0;
    const language = state.languages.find((l) => l.code === $("target").value);
    $("target-note").textContent = language && ParleyLanguages.needsDownload(language)
      ? `The server downloads the ${language.name} models on first use; that can take a while.` : "";
    if (!state.busy) setBusy(false);
  }

  async function loadVoices() {
    const select = $("voice");
    try {
      const response = await ParleyAuth.fetch("/v1/voices");
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { voices, default: fallback } = await response.json();
      select.innerHTML = "";
      voices.forEach((v) => select.add(new Option(v === fallback ? `${v} (default)` : v, v, false, v === fallback)));
    } catch (err) {
      select.innerHTML = "";
      select.add(new Option("Default voice", ""));
    }
    select.disabled = ($("target").value || "en") !== "en";
    select.dataset.loaded = "true";
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

  // --- Modes: one speaker (microphone or file), or a conversation between two people --------------
  function setupModes() {
    const buttons = [$("mode-translate"), $("mode-conversation")];
    buttons.forEach((button) => button.addEventListener("click", () => {
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      const conversation = button === $("mode-conversation");
      $("translate-mode").hidden = conversation;
      $("conversation").hidden = !conversation;
    }));
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
      $("mic-status").textContent = $("continuous").checked
        ? "Recording… speak now; each sentence is translated at your next pause."
        : "Recording… speak now.";
      if ($("continuous").checked) startContinuous();
      state.timer = setInterval(() => {
        $("record-time").textContent = formatSeconds(state.recording.seconds());
        if (state.continuous) cutAtPause();
      }, 200);
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
    if (state.continuous) {
      await finishContinuous(recording);
      return;
    }
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
    button.querySelector(".translate-label").textContent = busy ? "Translating…" : `Translate to ${targetName()}`;
    $("progress").hidden = !busy;
    if (busy) $("progress").querySelector("progress").removeAttribute("value");  // moving, no amount yet
    updateTranslateButton();
  }
  // What the server is doing now, shown under the button while it works (and kept for tests).
  function showStage(text) {
    $("progress-text").textContent = text;
    if (window.parleyStream) window.parleyStream.stages.push(text);
  }
  // A progress event of the stream (stage, done, total, unit, detail): the bar fills with the share of
  // the recording recognised; translation and speech, whose amount is not known ahead, keep the bar
  // where it is and show their count.
  function showProgress(data) {
    const bar = $("progress").querySelector("progress");
    if (data.total > 0) {
      bar.max = data.total;
      bar.value = Math.min(data.done, data.total);
    }
    showStage(ParleyStream.describeProgress(data));
    if (window.parleyStream) {
      window.parleyStream.bar.push({ stage: data.stage, value: bar.hasAttribute("value") ? bar.value : null, max: bar.max });
    }
  }
  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  const STAGE_NAMES = { queue: "Waiting for a worker", decode: "Reading the audio", asr: "Speech recognition (Whisper)",
    tts: "Speech synthesis (SpeechT5)", vocoder: "Vocoder (HiFi-GAN)", encode: "Writing the WAV",
    first_audio: "First audio ready", total: "Total" };

  function errorMessage(err) {
    if (err instanceof TypeError) return "Could not reach the Parley server. Is it still running?";
    const message = err.message || String(err);
    const hint = err.status === 503 ? " The server is busy; try again in a moment." : "";
    return `${message}${/[.!?)]$/.test(message) ? "" : "."}${hint}`;
  }

  function formFor(blob, name) {
    const form = new FormData();
    form.append("file", blob, name);
    form.append("language", $("language").value);
    form.append("to", $("target").value || "en");
    if ($("voice").value && !$("voice").disabled) form.append("voice", $("voice").value);
    return form;
  }

  function showLanguage(answer) {
    const name = answer.language_name || languageName(answer.language);
    $("result-language").textContent = `${name.charAt(0).toUpperCase()}${name.slice(1)} (${answer.language})`;
  }
  // The result card while the translation streams in: text first, audio playing, details at the end.
  function startResult() {
    $("result").dataset.state = "streaming";
    $("result-language").textContent = "…";
    $("result-text").textContent = "";
    $("result-source").textContent = "";
    $("result-source-box").hidden = true;
    $("tap-to-play").hidden = true;
    $("result-heading").textContent = `Translation into ${targetName()}`;
    $("result-audio").removeAttribute("src");
    $("timings").innerHTML = "";
    $("result").hidden = false;
  }
  function finishResult(wavBlob, timings) {
    if (state.resultUrl) URL.revokeObjectURL(state.resultUrl);
    state.resultUrl = URL.createObjectURL(wavBlob);
    $("result-audio").src = state.resultUrl;
    $("download").href = state.resultUrl;
    showTimings(timings);
    if (!$("result-text").textContent) $("result-text").textContent = "(no speech recognised)";
    $("result").dataset.state = "done";
  }
  // The transcript in the spoken language, where the server reports it (servers that translate
  // into other languages than English do).
  function showSource(answer) {
    if (!answer || typeof answer.source_text !== "string" || !answer.source_text) return;
    $("result-source").textContent = answer.source_text;
    $("result-source-box").hidden = false;
  }
  function showTimings(timings) {
    const rows = $("timings");
    rows.innerHTML = "";
    Object.entries(timings || {}).forEach(([key, ms]) => {
      const stage = key.replace(/_ms$/, "");
      const row = rows.insertRow();
      row.insertCell().textContent = STAGE_NAMES[stage] || stage;
      row.insertCell().textContent = ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
      if (stage === "total") row.classList.add("total");
    });
  }

  function appendText(text) {
    const el = $("result-text");
    if (text) el.textContent = [el.textContent, text].filter((t) => t).join(" ");
  }

  async function translate() {
    const audio = currentAudio();
    if (!audio) return;
    showError("");
    setBusy(true);
    if (state.player) state.player.stop();
    const player = new ParleyStream.Player();  // created on the click, so the browser lets it play
    state.player = player;
    const record = { started: performance.now(), firstPlay: null, done: null, chunks: 0, stages: [], bar: [], blocked: false };
    window.parleyStream = record;
    showStage("Sending the audio and recognising the speech (the first request also loads the models)…");
    let shown = false;
    let textSeen = false;
    try {
      const done = await ParleyStream.translate(formFor(audio.blob, audio.name), player, {
        language: (data) => {
          startResult();
          shown = true;
          showLanguage(data);
          showStage(`Heard ${languageName(data.language)}; translating into ${targetName()}…`);
        },
        // Long recordings send one text event per 30 s window: the text grows as it is decoded.
        // Targets other than English send the transcript there (source_text) and the translation
        // sentence by sentence with the audio.
        text: (data) => {
          if (data.text) textSeen = true;
          appendText(data.text);
          showSource(data);
          showStage("Making the speech…");
        },
        audio: (data) => {
          record.chunks++;
          if (!textSeen) appendText(data.text);
        },
        progress: (data) => { if (data && typeof data.done === "number") showProgress(data); },
        done: (data) => {
          record.done = performance.now();
          showSource(data);
          if (!textSeen && data.text) $("result-text").textContent = data.text;
        },
      });
      record.firstPlay = player.firstPlay;
      const timings = { ...done.timings };
      if (done.time_to_first_audio_ms !== undefined) timings.first_audio_ms = done.time_to_first_audio_ms;
      finishResult(player.wav(), orderTotalLast(timings));
      if (player.blocked) record.blocked = !(await ParleyStream.playOrOffer($("result-audio"), $("tap-to-play")));
      $("result").scrollIntoView({ behavior: "smooth", block: "nearest" });
    } catch (err) {
      if (shown) $("result").hidden = true;
      showError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  function orderTotalLast(timings) {
    const { total_ms: total, ...rest } = timings;
    return total === undefined ? rest : { ...rest, total_ms: total };
  }

  // --- Continuous mode: translate each stretch of speech at the speaker's pauses ------------------
  const PAUSE_SECONDS = 0.6;   // this much quiet ends a stretch of speech...
  const MIN_SECONDS = 1.5;     // ...once at least this much was said
  const MAX_SECONDS = 8;       // a stretch without pauses is cut here

  function startContinuous() {
    if (state.player) state.player.stop();
    state.player = new ParleyStream.Player();
    state.continuous = { queue: Promise.resolve(), pieces: 0, sent: 0, texts: [], firstPlay: null, lastDone: null,
      timings: {} };
    window.parleyContinuous = state.continuous;
    startResult();
  }

  function cutAtPause() {
    const rec = state.recording;
    if (!rec || state.continuous.cutting) return;
    const pending = rec.pendingSeconds();
    if (pending >= MAX_SECONDS || (pending >= MIN_SECONDS && rec.quietSeconds() >= PAUSE_SECONDS)) {
      state.continuous.cutting = true;
      rec.take().then((blob) => { state.continuous.cutting = false; sendPiece(blob); });
    }
  }

  // Pieces are sent one after another, so their speech plays in the order it was spoken.
  function sendPiece(blob) {
    const c = state.continuous;
    const index = c.sent++;
    c.queue = c.queue.then(async () => {
      let pieceText = false;
      try {
        const done = await ParleyStream.translate(formFor(blob, `piece-${index}.wav`), state.player, {
          language: showLanguage,
          text: (data) => {
            if (data.text) { c.texts.push(data.text); pieceText = true; }
            $("result-text").textContent = c.texts.join(" ");
          },
        });
        if (!pieceText && done.text) c.texts.push(done.text);  // targets other than English
        $("result-text").textContent = c.texts.join(" ");
        c.pieces++;
        c.firstPlay = state.player.firstPlay;
        c.lastDone = performance.now();
        c.timings = done.timings || {};
        $("mic-status").textContent = `Translated ${c.pieces} piece${c.pieces === 1 ? "" : "s"} so far.`;
      } catch (err) {
        showError(errorMessage(err));
      }
    });
    return c.queue;
  }

  async function finishContinuous(recording) {
    const c = state.continuous;
    const rest = await recording.stopAndTake();
    if (rest.size > 44 + 16000 * 2 * 0.3) sendPiece(rest);  // more than 0.3 s left
    $("mic-status").textContent = "Finishing the translation…";
    await c.queue;
    finishResult(state.player.wav(), c.timings);
    if (state.player.blocked) await ParleyStream.playOrOffer($("result-audio"), $("tap-to-play"));
    $("mic-status").textContent = `Translated ${c.pieces} piece${c.pieces === 1 ? "" : "s"} while you spoke.`;
    c.finished = true;
    state.continuous = null;
    updateTranslateButton();
  }

  function setup() {
    fillLanguages().then(loadVoices);
    setupTabs();
    setupFile();
    setupModes();
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
