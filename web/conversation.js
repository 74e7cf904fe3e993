// Conversation mode: two people, one side of the screen each, each with a language and a button to
// speak. An utterance is sent to POST /v1/speech-translation/stream with `language` = the speaker's
// language and `to` = the other person's, its speech played as it streams in; the transcript keeps
// both texts of every turn (what was said, and its translation).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const sides = { a: { name: "Person A", other: "b" }, b: { name: "Person B", other: "a" } };
  let languages = [];
  let busy = false;       // one utterance at a time: recording or translating
  let recording = null;   // { side, rec } while a microphone records
  let player = null;      // the last turn's speech (one audio context at a time)
  // What each turn sent and got, for tests and the curious.
  window.parleyConversation = { turns: [], progress: [] };

  // Makes each side from the page's template, with ids side-<key>, side-<key>-language,
  // side-<key>-filter and side-<key>-talk.
  function makeSides() {
    for (const [key, side] of Object.entries(sides)) {
      const element = $("side-template").content.firstElementChild.cloneNode(true);
      element.id = `side-${key}`;
      element.dataset.side = key;
      element.querySelector(".side-name").textContent = side.name;
      element.querySelector(".side-label").htmlFor = `side-${key}-language`;
      element.querySelector(".side-language").id = `side-${key}-language`;
      const filter = element.querySelector(".side-filter");
      filter.id = `side-${key}-filter`;
      filter.setAttribute("aria-label", `Search ${side.name}'s language`);
      element.querySelector(".talk-button").id = `side-${key}-talk`;
      $("sides").append(element);
    }
  }

  const languageOf = (code) => languages.find((l) => l.code === code);
  const nameOf = (code) => (languageOf(code) || { name: ParleyLanguages.nameOf(code) }).name;

  // The language a side hears: its own where this server can speak it, else English (the one
  // language every Parley server speaks), with a note saying so.
  function heardLanguage(key) {
    const code = $(`side-${key}-language`).value;
    const language = languageOf(code);
    return language && language.speak ? code : "en";
  }
  function updateNote(key) {
    const code = $(`side-${key}-language`).value;
    const language = languageOf(code);
    const note = $(`side-${key}`).querySelector(".side-note");
    if (!language) note.textContent = "";
    else if (!language.speak) note.textContent = `This server has no ${language.name} voice: ${sides[key].name} hears English.`;
    else if (ParleyLanguages.needsDownload(language)) note.textContent = `${language.name} models are downloaded on first use.`;
    else note.textContent = "";
  }

  function fillSides(list) {
    languages = list;
    const hears = (l) => !!l.hear;
    // Person A: the browser's language; Person B: English, or the first other language.
    const first = ParleyLanguages.preferred(list, hears, navigator.languages);
    const second = ParleyLanguages.preferred(list, (l) => hears(l) && l.code !== first, ["en"]);
    [["a", first], ["b", second]].forEach(([key, chosen]) => {
      const select = $(`side-${key}-language`);
      ParleyLanguages.fillPicker(select, $(`side-${key}-filter`), list, hears, chosen,
        (l) => (!l.speak ? "text only" : ParleyLanguages.needsDownload(l) ? "needs a download" : ""));
      select.addEventListener("change", () => updateNote(key));
      updateNote(key);
      $(`side-${key}-talk`).disabled = false;
    });
  }

  function showProgress(text) {
    $("conversation-progress").hidden = !text;
    $("conversation-progress-text").textContent = text || "";
    if (text) window.parleyConversation.progress.push(text);
  }
  function showError(message) {
    $("conversation-error").textContent = message;
    $("conversation-error").hidden = !message;
  }
  function setTalking(key, talking) {
    const button = $(`side-${key}-talk`);
    button.setAttribute("aria-pressed", String(talking));
    button.querySelector(".talk-label").textContent = talking ? "Tap when done" : busy ? "Translating…" : "Tap to speak";
    button.classList.toggle("busy", busy && !talking);
    button.setAttribute("aria-busy", String(busy && !talking));
    $(`side-${sides[key].other}-talk`).disabled = talking || busy;
  }

  async function talk(key) {
    if (recording) {
      if (recording.side === key) await finishUtterance(key);
      return;
    }
    if (busy) return;
    showError("");
    try {
      const rec = await ParleyWav.record(null);
      recording = { side: key, rec };
    } catch (err) {
      showError(err && err.name === "NotAllowedError"
        ? "Microphone access was denied. Allow it in the browser's site settings."
        : `Could not start the microphone: ${(err && err.message) || err}`);
      return;
    }
    setTalking(key, true);
    showProgress(`${sides[key].name} is speaking…`);
  }

  // One turn of the transcript: who spoke, what they said, its translation and its speech.
  function addTurn(key, from, to) {
    const item = document.createElement("li");
    item.className = `turn turn-${key}`;
    item.dataset.state = "translating";
    item.innerHTML = `<p class="turn-who"></p><p class="turn-source"></p><p class="turn-target"></p>
      <audio class="turn-audio" controls hidden></audio>
      <button type="button" class="secondary turn-play" hidden>▶ Tap to play</button>`;
    item.querySelector(".turn-who").textContent = `${sides[key].name} · ${nameOf(from)} → ${nameOf(to)}`;
    item.querySelector(".turn-source").textContent = "…";
    $("transcript").append(item);
    item.scrollIntoView({ behavior: "smooth", block: "nearest" });
    return item;
  }

  function formFor(blob, from, to) {
    const form = new FormData();
    form.append("file", blob, "utterance.wav");
    form.append("language", from);
    form.append("to", to);
    // Into English Whisper translates directly; ask for the speaker's own words too, so that every
    // turn shows both texts (servers that do not know the field ignore it).
    if (to === "en") form.append("transcribe_source", "true");
    return form;
  }

  // The texts of a turn as they arrive. For another target than English the server reports the
  // transcript (`source_text`) first and the translation sentence by sentence (each audio event's
  // `text`), the whole in the done event. For English, Whisper translates directly and the server
  // transcribes the speech as well (transcribe_source) for the done event's `source_text`; an older
  // server leaves it empty, and the spoken words are then shown only when they were English.
  function showSource(item, answer, from) {
    const source = item.querySelector(".turn-source");
    if (typeof answer.source_text === "string" && answer.source_text) source.textContent = answer.source_text;
    else if (from === "en" && answer.text) source.textContent = answer.text;
  }
  function addTranslated(item, text) {
    if (!text) return;
    const target = item.querySelector(".turn-target");
    target.textContent = [target.textContent, text].filter((t) => t).join(" ");
  }
  function finishTexts(item, done, from) {
    item.querySelector(".turn-target").textContent = done.text || "(no speech recognised)";
    showSource(item, done, from);
    const source = item.querySelector(".turn-source");
    if (source.textContent === "…") source.textContent = "(translated directly; the original words were not transcribed)";
  }

  async function finishUtterance(key) {
    const { rec } = recording;
    recording = null;
    busy = true;
    setTalking(key, false);
    $(`side-${key}-talk`).disabled = true;
    if (player) player.stop();
    player = new ParleyStream.Player();  // made on the tap, so the browser lets it play
    const from = $(`side-${key}-language`).value;
    const to = heardLanguage(sides[key].other);
    const blob = await rec.stop();
    const item = addTurn(key, from, to);
    const turn = { side: key, language: from, to, blob, done: null, blocked: false, error: null };
    window.parleyConversation.turns.push(turn);
    showProgress(`Translating into ${nameOf(to)} (the first time also loads the models)…`);
    let textSeen = false;  // English targets send the text in text events, others in audio events
    try {
      const done = await ParleyStream.translate(formFor(blob, from, to), player, {
        text: (data) => {
          showSource(item, data, from);
          if (data.text) textSeen = true;
          addTranslated(item, data.text);
          showProgress(`Speaking ${nameOf(to)}…`);
        },
        audio: (data) => { if (!textSeen) addTranslated(item, data.text); },
        progress: (data) => { if (data && typeof data.done === "number") showProgress(ParleyStream.describeProgress(data)); },
      });
      turn.done = done;
      finishTexts(item, done, from);
      const audio = item.querySelector(".turn-audio");
      audio.src = URL.createObjectURL(player.wav());
      audio.hidden = false;
      if (player.blocked) turn.blocked = !(await ParleyStream.playOrOffer(audio, item.querySelector(".turn-play")));
      item.dataset.state = "done";
    } catch (err) {
      turn.error = err.message || String(err);
      item.dataset.state = "failed";
      item.querySelector(".turn-source").textContent = "";
      item.querySelector(".turn-target").textContent = "Not translated: see the message above.";
      showError(`${sides[key].name}: ${turn.error}`);
    } finally {
      busy = false;
      showProgress("");
      setTalking(key, false);
      $("side-a-talk").disabled = false;
      $("side-b-talk").disabled = false;
    }
  }

  makeSides();
  document.addEventListener("parley-languages", (e) => fillSides(e.detail));
  $("side-a-talk").addEventListener("click", () => talk("a"));
  $("side-b-talk").addEventListener("click", () => talk("b"));
})();
