// The web page in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): record
// from a fake microphone that plays a fixture WAV, and upload a file; each run must show the English
// text and a playable audio result, and saves a screenshot under tests/web/screenshots/ (not
// committed). The page streams (POST /v1/speech-translation/stream): the first sentence starts
// playing before the translation is done; continuous mode translates while the microphone runs. The server is the real `parley serve` on the fixture models (server.mjs).
// The target-language picker is checked against the server's /v1/languages (or its absence), and
// once against a fixed list (a network double, for the UI alone); conversation mode runs both sides
// on the fake microphone in a 375 px wide viewport; autoplay blocking is a browser double (init script).
// A 45 s recording shows the progress bar filling from the stream's progress events.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { startServer, fixture, repo } from "./server.mjs";

const screenshots = path.join(repo, "tests/web/screenshots");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
let server;
let context;
let profile;

before(async () => {
  server = await startServer();
  fs.mkdirSync(screenshots, { recursive: true });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "parley-chromium-"));  // an empty profile each run
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 900, height: 1100 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${fixture("jfk.wav")}`,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
});

after(async () => {
  await context?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  assert.equal(await server?.stop(), 0);
});

// Script errors, and Content-Security-Policy violations (Chromium reports them on the console): the
// page must run under the policy the server sends.
function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => { if (/Content Security Policy/i.test(msg.text())) errors.push(msg.text()); });
  return errors;
}

async function openPage() {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url, { waitUntil: "load" });
  await page.waitForFunction(() => !document.getElementById("voice").disabled);
  return { page, errors };
}

// The result audio element loads and has a duration, and its WAV decodes to samples.
async function checkPlayableResult(page) {
  const audio = await page.$eval("#result-audio", async (el) => {
    if (!(el.duration > 0)) await new Promise((resolve, reject) => {
      el.addEventListener("loadedmetadata", resolve, { once: true });
      el.addEventListener("error", () => reject(new Error("the audio element cannot load the result")), { once: true });
    });
    const bytes = await (await fetch(el.src)).arrayBuffer();
    const decoded = await new AudioContext().decodeAudioData(bytes);
    await el.play();
    return { duration: el.duration, samples: decoded.length, playing: !el.paused };
  });
  assert.ok(audio.duration > 0, `duration ${audio.duration}`);
  assert.ok(audio.samples > 0);
  assert.ok(audio.playing);
  const download = await page.$eval("#download", (a) => ({ href: a.href, name: a.download }));
  assert.match(download.href, /^blob:/);
  assert.equal(download.name, "parley-translation.wav");
}

// What the API answers for `bytes`, to compare the page with.
async function apiText(bytes, name) {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type: "audio/wav" }), name);
  const response = await fetch(`${server.url}/v1/speech-translation`, { method: "POST", body: form });
  assert.equal(response.status, 200);
  return (await response.json()).text;
}

test("microphone: record from the fake device, translate, play", async () => {
  const { page, errors } = await openPage();
  assert.equal(await page.getAttribute("#tab-mic", "aria-selected"), "true");
  await page.click("#record");
  await page.waitForFunction(() => document.getElementById("record-time").textContent >= "0:03", null, { timeout: 20000 });
  await page.click("#record");
  await page.waitForSelector("#mic-preview:not([hidden])");
  assert.match(await page.textContent("#mic-status"), /Recorded \d+\.\d seconds/);
  // The recording the page will send: it carried the fixture's sound, not silence.
  const recording = await page.$eval("#mic-preview", async (el) => {
    const bytes = new Uint8Array(await (await fetch(el.src)).arrayBuffer());
    const decoded = await new AudioContext().decodeAudioData(bytes.slice().buffer);
    const peak = decoded.getChannelData(0).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    return { bytes: Array.from(bytes), peak, seconds: decoded.duration };
  });
  assert.ok(recording.peak > 0.01, `peak ${recording.peak}`);
  assert.ok(recording.seconds >= 2.5, `${recording.seconds} s`);
  await page.click("#translate");
  await page.waitForSelector('#result[data-state="done"]', { timeout: 60000 });
  const text = (await page.textContent("#result-text")).trim();
  assert.ok(text.length > 0);
  // The page shows what the API answers for that recording.
  assert.equal(text, await apiText(Buffer.from(recording.bytes), "recording.wav"));
  assert.match(await page.textContent("#result-language"), /\(\w+\)/);
  assert.ok((await page.$$("#timings tr")).length >= 3);
  await checkPlayableResult(page);
  await page.screenshot({ path: path.join(screenshots, "microphone.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("audio file: upload, translate, play", async () => {
  const { page, errors } = await openPage();
  await page.click("#tab-file");
  assert.equal(await page.isVisible("#panel-file"), true);
  assert.equal(await page.isVisible("#panel-mic"), false);
  await page.setInputFiles("#file-input", fixture("jfk.wav"));
  assert.match(await page.textContent("#file-name"), /jfk\.wav/);
  await page.selectOption("#voice", "bdl");
  await page.click("#translate");
  await page.waitForSelector('#result[data-state="done"]', { timeout: 60000 });
  const text = (await page.textContent("#result-text")).trim();
  assert.equal(text, await apiText(fs.readFileSync(fixture("jfk.wav")), "jfk.wav"));
  await checkPlayableResult(page);
  await page.screenshot({ path: path.join(screenshots, "audio-file.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("audio file: a file that is not audio shows a clear error", async () => {
  const { page } = await openPage();
  await page.click("#tab-file");
  await page.setInputFiles("#file-input", { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not audio") });
  await page.click("#translate");
  await page.waitForSelector("#error:not([hidden])", { timeout: 30000 });
  const message = await page.textContent("#error");
  assert.match(message, /audio|format/i);
  assert.equal(await page.isVisible("#result"), false);
  await page.screenshot({ path: path.join(screenshots, "error.png"), fullPage: true });
  await page.close();
});

// The streaming answer, read the way the page reads it: the events in order.
async function streamEvents(bytes, name) {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type: "audio/wav" }), name);
  const response = await fetch(`${server.url}/v1/speech-translation/stream`, { method: "POST", body: form });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^text\/event-stream/);
  const events = [];
  for (const block of (await response.text()).split("\n\n").filter((b) => b)) {
    const [eventLine, dataLine] = block.split("\n");
    events.push({ name: eventLine.slice("event: ".length), data: JSON.parse(dataLine.slice("data: ".length)) });
  }
  return events;
}

test("streaming: the text shows while the speech streams in, and each chunk is played", async () => {
  const { page, errors } = await openPage();
  await page.click("#tab-file");
  await page.setInputFiles("#file-input", fixture("es.wav"));
  await page.click("#translate");
  // While it streams, the text is already shown.
  await page.waitForSelector('#result[data-state="streaming"]', { timeout: 60000 });
  await page.waitForSelector('#result[data-state="done"]', { timeout: 60000 });
  const record = await page.evaluate(() => window.parleyStream);
  const events = await streamEvents(fs.readFileSync(fixture("es.wav")), "es.wav");
  const audioEvents = events.filter((e) => e.name === "audio").length;
  assert.equal(events.at(-1).name, "done");
  assert.equal(record.chunks, audioEvents);
  assert.ok(record.chunks >= 1);
  // The fixture's random Whisper says one sentence without punctuation, so here the whole speech is
  // one chunk; the continuous test below shows audio playing while later pieces are still made.
  assert.ok(record.firstPlay !== null, "no audio was played");
  console.log(`# streaming: ${record.chunks} chunk(s); first audio played at ${(record.firstPlay - record.started).toFixed(0)} ms, ` +
    `done at ${(record.done - record.started).toFixed(0)} ms after the click`);
  const text = (await page.textContent("#result-text")).trim();
  assert.equal(text, events.find((e) => e.name === "text").data.text);
  assert.match(await page.textContent("#timings"), /First audio ready/);
  await checkPlayableResult(page);
  await page.screenshot({ path: path.join(screenshots, "streaming.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

// The first `seconds` of a 16-bit mono WAV fixture, as a WAV of its own (a canonical 44-byte header).
function wavClip(file, seconds) {
  const bytes = fs.readFileSync(file);
  let at = 12;
  let format = null;
  while (at + 8 <= bytes.length) {
    const id = bytes.toString("ascii", at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    if (id === "fmt ") format = bytes.subarray(at + 8, at + 8 + 16);
    if (id === "data") {
      const rate = format.readUInt32LE(4);
      const data = bytes.subarray(at + 8, at + 8 + Math.min(size, seconds * rate * 2));
      const header = Buffer.alloc(44);
      header.write("RIFF", 0, "ascii");
      header.writeUInt32LE(36 + data.length, 4);
      header.write("WAVEfmt ", 8, "ascii");
      header.writeUInt32LE(16, 16);
      format.copy(header, 20);
      header.write("data", 36, "ascii");
      header.writeUInt32LE(data.length, 40);
      return Buffer.concat([header, data]);
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file} has no data chunk`);
}

test("progress: a long recording shows a bar that fills window by window", async () => {
  const { page, errors } = await openPage();
  await page.click("#tab-file");
  const clip = wavClip(fixture("long_2min.wav"), 45);  // two 30 s windows
  await page.setInputFiles("#file-input", { name: "long45.wav", mimeType: "audio/wav", buffer: clip });
  await page.click("#translate");
  // The bar gets an amount once the first window is recognised (recorded by the page as it changes:
  // on a fast machine the bar may be full and hidden again before a check for visibility runs).
  await page.waitForFunction(() => window.parleyStream?.bar?.some((b) => b.stage === "asr"), null, { timeout: 60000 });
  await page.screenshot({ path: path.join(screenshots, "progress.png"), fullPage: true });
  await page.waitForSelector('#result[data-state="done"]', { timeout: 120000 });
  const record = await page.evaluate(() => window.parleyStream);
  const asr = record.bar.filter((b) => b.stage === "asr");
  assert.equal(asr.length, 2, JSON.stringify(record.bar));
  assert.deepEqual(asr.map((b) => [b.value, b.max]), [[30, 45], [45, 45]]);  // it moved
  assert.ok(record.stages.some((t) => t.startsWith("Recognising: 30.0 of 45.0 s (window 1 of 2)")), JSON.stringify(record.stages));
  assert.ok(record.bar.some((b) => b.stage === "tts"), JSON.stringify(record.bar));
  assert.equal(await page.isVisible("#progress"), false);  // gone with the result
  await checkPlayableResult(page);
  assert.deepEqual(errors, []);
  await page.close();
});

test("microphone, continuous: pieces are translated while the person keeps speaking", async () => {
  const { page, errors } = await openPage();
  await page.check("#continuous");
  await page.click("#record");
  // The fake microphone plays the fixture in a loop; the page cuts it at pauses or every 8 s and
  // sends each piece while recording goes on.
  await page.waitForFunction(() => window.parleyContinuous && window.parleyContinuous.pieces >= 1, null, { timeout: 60000 });
  const whileRecording = await page.evaluate(() => ({
    recording: document.getElementById("record").getAttribute("aria-pressed") === "true",
    pieces: window.parleyContinuous.pieces,
    text: document.getElementById("result-text").textContent,
  }));
  assert.ok(whileRecording.recording, "the first piece should be translated while the microphone still records");
  assert.ok(whileRecording.text.trim().length > 0);
  await page.click("#record");
  await page.waitForSelector('#result[data-state="done"]', { timeout: 60000 });
  const c = await page.evaluate(() => ({ pieces: window.parleyContinuous.pieces, sent: window.parleyContinuous.sent,
    finished: window.parleyContinuous.finished, firstPlay: window.parleyContinuous.firstPlay,
    lastDone: window.parleyContinuous.lastDone }));
  assert.ok(c.finished);
  assert.equal(c.pieces, c.sent);
  assert.ok(c.pieces >= 2, `${c.pieces} pieces`);
  assert.ok(c.firstPlay !== null);
  // The first piece's speech started playing before the last piece's translation was finished.
  assert.ok(c.firstPlay < c.lastDone, `first audio at ${c.firstPlay}, last piece done at ${c.lastDone}`);
  console.log(`# continuous: ${c.pieces} pieces; first audio ${(c.lastDone - c.firstPlay).toFixed(0)} ms before the last piece was done`);
  assert.match(await page.textContent("#mic-status"), /Translated \d+ pieces while you spoke/);
  await checkPlayableResult(page);
  await page.screenshot({ path: path.join(screenshots, "continuous.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

// --- Target language, conversation mode, phones, autoplay (issue 18) -----------------------------

// A page with `setup(page)` run before it loads (init scripts, routes, the viewport).
async function openPageWith(setup) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await setup(page);
  await page.goto(server.url, { waitUntil: "load" });
  await page.waitForFunction(() => document.getElementById("voice").dataset.loaded === "true");
  return { page, errors };
}

const optionsOf = (page, select) => page.$$eval(`${select} option`, (options) =>
  options.map((o) => ({ code: o.value, text: o.textContent, disabled: o.disabled, hidden: o.hidden })));

// What the server lists at /v1/languages, or null where it has no such route (404).
async function serverLanguages() {
  const response = await fetch(`${server.url}/v1/languages`);
  if (response.status === 404) return null;
  assert.equal(response.status, 200);
  return (await response.json()).data;
}

test("target picker: filled from /v1/languages, the browser's language first, searchable, sent as 'to'", async () => {
  // The network double answers the languages only: which ones a server has depends on its models.
  const listed = [
    { code: "en", name: "English", hear: true, speak: true, tts_on_disk: true, mt_on_disk: true },
    { code: "fr", name: "French", hear: true, speak: true, tts_model: "facebook/mms-tts-fra", tts_on_disk: false, mt_on_disk: false },
    { code: "de", name: "German", hear: true, speak: false },
  ];
  let sent = null;
  const { page, errors } = await openPageWith(async (p) => {
    await p.addInitScript(() => Object.defineProperty(navigator, "languages", { get: () => ["fr-CA", "en-US"] }));
    await p.route("**/v1/languages", (route) => route.fulfill({ json: { object: "list", data: listed } }));
    await p.route("**/v1/speech-translation/stream", (route) => {
      sent = route.request().postDataBuffer().toString("latin1");
      route.fulfill({ status: 400, json: { error: { message: "no French voice on this server: run parley models download facebook/mms-tts-fra" } } });
    });
  });
  const options = await optionsOf(page, "#target");
  assert.deepEqual(options.map((o) => o.code), ["en", "fr", "de"]);
  assert.equal(await page.inputValue("#target"), "fr");       // navigator.languages' fr-CA
  assert.match(options[1].text, /French \(fr\) · needs a download/);
  assert.ok(options[2].disabled, "a language without a voice cannot be the target");
  assert.match(await page.textContent("#target-note"), /download/);
  assert.ok(await page.isDisabled("#voice"), "SpeechT5's voices are English ones");
  assert.match(await page.textContent(".translate-label"), /Translate to French/);
  await page.fill("#target-filter", "engl");
  assert.equal(await page.inputValue("#target"), "en");
  assert.deepEqual((await optionsOf(page, "#target")).filter((o) => !o.hidden).map((o) => o.code), ["en"]);
  assert.ok(!(await page.isDisabled("#voice")));
  await page.fill("#target-filter", "fre");
  assert.equal(await page.inputValue("#target"), "fr");
  await page.screenshot({ path: path.join(screenshots, "target-picker.png"), fullPage: true });
  await page.click("#tab-file");
  await page.setInputFiles("#file-input", fixture("es.wav"));
  await page.click("#translate");
  await page.waitForSelector("#error:not([hidden])", { timeout: 30000 });
  assert.match(sent, /name="to"\r\n\r\nfr\r\n/);
  assert.match(await page.textContent("#error"), /parley models download facebook\/mms-tts-fra/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("target picker: the server's own languages, or English alone where it has no /v1/languages", async () => {
  const { page, errors } = await openPage();
  const listed = await serverLanguages();
  const options = await optionsOf(page, "#target");
  if (listed === null) {
    assert.deepEqual(options.map((o) => o.code).filter((c, i) => !options[i].disabled), ["en"]);
  } else {
    assert.deepEqual(options.map((o) => o.code).sort(), listed.map((l) => l.code).sort());
    const speakable = listed.filter((l) => l.speak).map((l) => l.code).sort();
    assert.deepEqual(options.filter((o) => !o.disabled).map((o) => o.code).sort(), speakable);
  }
  assert.equal(await page.inputValue("#target"), "en");       // headless Chromium's en-US
  assert.ok((await optionsOf(page, "#language")).some((o) => o.code === "es"));
  assert.deepEqual(errors, []);
  await page.close();
});

// A 0.1 s silent 16 kHz WAV, base64, for the stream double below.
function silentWavBase64() {
  const samples = 1600;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write("RIFF", 0); wav.writeUInt32LE(36 + samples * 2, 4); wav.write("WAVEfmt ", 8);
  wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22); wav.writeUInt32LE(16000, 24);
  wav.writeUInt32LE(32000, 28); wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34); wav.write("data", 36);
  wav.writeUInt32LE(samples * 2, 40);
  return wav.toString("base64");
}

test("target other than English: the transcript and the sentence-by-sentence translation are shown (stream double)", async () => {
  // A network double in the shape of the X->Y stream (docs/server.md): the text event carries the
  // transcript (source_text) and an empty text; each audio event one translated sentence; done the whole.
  const audio = silentWavBase64();
  const events = [
    ["language", { language: "es", language_name: "spanish", duration: 1, target_language: "fr" }],
    ["text", { text: "", source_text: "hola amigos, ¿qué tal?", segments: [] }],
    ["audio", { index: 0, text: "Bonjour les amis.", start: 0, end: 0.1, sample_rate: 16000, format: "wav", audio }],
    ["audio", { index: 1, text: "Comment ça va ?", start: 0.1, end: 0.2, sample_rate: 16000, format: "wav", audio }],
    ["done", { language: "es", text: "Bonjour les amis. Comment ça va ?", source_text: "hola amigos, ¿qué tal?",
      target_language: "fr", chunks: 2, sample_rate: 16000, duration: 0.2, timings: { total_ms: 5 } }],
  ];
  const body = events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join("");
  const listed = [
    { code: "en", name: "English", hear: true, speak: true },
    { code: "es", name: "Spanish", hear: true, speak: true },
    { code: "fr", name: "French", hear: true, speak: true },
  ];
  const { page, errors } = await openPageWith(async (p) => {
    await p.route("**/v1/languages", (route) => route.fulfill({ json: { object: "list", data: listed } }));
    await p.route("**/v1/speech-translation/stream", (route) =>
      route.fulfill({ status: 200, headers: { "Content-Type": "text/event-stream" }, body }));
  });
  await page.selectOption("#target", "fr");
  await page.click("#tab-file");
  await page.setInputFiles("#file-input", fixture("es.wav"));
  await page.click("#translate");
  await page.waitForSelector('#result[data-state="done"]', { timeout: 30000 });
  assert.equal(await page.textContent("#result-text"), "Bonjour les amis. Comment ça va ?");
  assert.equal(await page.textContent("#result-source"), "hola amigos, ¿qué tal?");
  assert.match(await page.textContent("#result-heading"), /into French/);

  await page.click("#mode-conversation");
  await page.waitForFunction(() => !document.getElementById("side-a-talk").disabled);
  await page.selectOption("#side-a-language", "es");
  await page.selectOption("#side-b-language", "fr");
  await speakAs(page, "a");
  await page.waitForSelector('#transcript .turn[data-state="done"]', { timeout: 30000 });
  assert.equal(await page.textContent("#transcript .turn-source"), "hola amigos, ¿qué tal?");
  assert.equal(await page.textContent("#transcript .turn-target"), "Bonjour les amis. Comment ça va ?");
  assert.match(await page.textContent("#transcript .turn-who"), /Person A · Spanish → French/);
  await page.screenshot({ path: path.join(screenshots, "conversation-es-fr.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

// Speaks into the fake microphone as one side (`key`) for about two seconds.
async function speakAs(page, key) {
  await page.click(`#side-${key}-talk`);
  await page.waitForSelector(`#side-${key}-talk[aria-pressed="true"]`, { timeout: 10000 });
  await page.waitForTimeout(1200);
  await page.click(`#side-${key}-talk`);
}

// The server's answers to the page's stream requests, in order, read off the wire (not from the
// page's own parsing): { status, request (the form sent), events } for each.
async function recordStreamAnswers(page) {
  const answers = [];
  const forms = [];
  // Routed (and passed on unchanged) so that the request's multipart body is kept for reading.
  await page.route("**/v1/speech-translation/stream", (route) => {
    forms.push(route.request().postDataBuffer().toString("latin1"));
    return route.continue();
  });
  page.on("response", (response) => {
    if (!response.url().endsWith("/v1/speech-translation/stream")) return;
    const index = answers.length;
    answers.push((async () => {
      const body = (await response.body()).toString("utf8");
      const request = forms[index];
      const field = (name) => (new RegExp(`name="${name}"\r\n\r\n([^\r]*)\r\n`).exec(request) || [])[1];
      const events = response.status() !== 200 ? [] : body.split("\n\n").filter((b) => b).map((block) => {
        const [eventLine, dataLine] = block.split("\n");
        return { name: eventLine.slice("event: ".length), data: JSON.parse(dataLine.slice("data: ".length)) };
      });
      const error = response.status() !== 200 ? JSON.parse(body).error
        : (events.find((e) => e.name === "error") || { data: {} }).data.error;
      return { status: response.status(), language: field("language"), to: field("to"), events, error };
    })());
  });
  return answers;
}

// The turn shown in the transcript matches the server's answer: both texts, and playable speech;
// or, where the server cannot make that language, the server's error.
async function checkTurn(page, answers, index, key) {
  const turn = page.locator("#transcript .turn").nth(index);
  await page.waitForFunction((i) => {
    const shown = document.querySelectorAll("#transcript .turn")[i];
    return shown && ["done", "failed"].includes(shown.dataset.state);
  }, index, { timeout: 60000 });
  assert.match(await turn.getAttribute("class"), new RegExp(`turn-${key}`));
  const answer = await answers[index];
  if (answer.error) {
    assert.equal(await turn.getAttribute("data-state"), "failed");
    assert.ok((await page.textContent("#conversation-error")).includes(answer.error.message));
    return answer;
  }
  const done = answer.events.at(-1).data;
  assert.equal(await turn.getAttribute("data-state"), "done");
  assert.equal((await turn.locator(".turn-target").textContent()).trim(), done.text.trim() || "(no speech recognised)");
  const source = (await turn.locator(".turn-source").textContent()).trim();
  // Both texts of every turn: into English too, the server transcribes the speaker's own words.
  assert.ok(done.source_text, `turn ${index} (${answer.language} → ${answer.to}) has no source_text`);
  assert.equal(source, done.source_text.trim());
  const seconds = await turn.locator(".turn-audio").evaluate(async (el) => {
    if (!(el.duration > 0)) await new Promise((resolve) => el.addEventListener("loadedmetadata", resolve, { once: true }));
    return el.duration;
  });
  assert.ok(seconds > 0);
  return answer;
}

test("conversation: two people on a 375 px phone, each speaks in turn, both texts of each turn shown", async () => {
  let answers;
  const { page, errors } = await openPageWith(async (p) => {
    answers = await recordStreamAnswers(p);
    await p.setViewportSize({ width: 375, height: 740 });
  });
  await page.click("#mode-conversation");
  assert.equal(await page.isVisible("#translate-mode"), false);
  await page.waitForFunction(() => !document.getElementById("side-a-talk").disabled);
  await page.selectOption("#side-a-language", "es");
  await page.selectOption("#side-b-language", "en");
  // Portrait phone: the two sides stack, nothing is wider than the screen, the buttons are big.
  const [a, b, talk] = await Promise.all(["#side-a", "#side-b", "#side-a-talk"].map((s) => page.locator(s).boundingBox()));
  assert.ok(b.y >= a.y + a.height, "the sides stack on a narrow screen");
  assert.ok(a.x >= 0 && a.x + a.width <= 375 && b.x + b.width <= 375);
  assert.ok(talk.height >= 56 && talk.width >= 200, `talk button ${talk.width}x${talk.height}`);
  await page.screenshot({ path: path.join(screenshots, "conversation-phone-start.png"), fullPage: true });

  await speakAs(page, "a");
  await page.screenshot({ path: path.join(screenshots, "conversation-phone-translating.png"), fullPage: true });
  const first = await checkTurn(page, answers, 0, "a");
  assert.deepEqual([first.language, first.to], ["es", "en"]);
  // Person B hears Spanish where the server can speak it, else English.
  const listed = await serverLanguages();
  const spanish = listed && listed.find((l) => l.code === "es");
  await speakAs(page, "b");
  const second = await checkTurn(page, answers, 1, "b");
  assert.deepEqual([second.language, second.to], ["en", spanish && spanish.speak ? "es" : "en"]);
  const progress = await page.evaluate(() => window.parleyConversation.progress);
  assert.ok(progress.some((t) => /Translating into/.test(t)), JSON.stringify(progress));
  assert.ok(progress.some((t) => /^Recognising: [0-9.]+ of [0-9.]+ s \(window 1 of 1\)/.test(t)), JSON.stringify(progress));
  assert.equal(await page.isVisible("#conversation-progress"), false);

  // Long unbroken text wraps inside its turn instead of widening the page.
  const wrap = await page.locator("#transcript .turn-target").first().evaluate((el) => {
    el.textContent = "Parley".repeat(80) + " and some words after it";
    return { scroll: el.scrollWidth, client: el.clientWidth, page: document.documentElement.scrollWidth };
  });
  assert.ok(wrap.scroll <= wrap.client, `scrollWidth ${wrap.scroll} > clientWidth ${wrap.client}`);
  assert.ok(wrap.page <= 375, `the page is ${wrap.page} px wide`);
  await page.screenshot({ path: path.join(screenshots, "conversation-phone.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("autoplay blocked: the result shows, with a tap-to-play control that plays it", async () => {
  // A browser double of an autoplay policy: Web Audio stays suspended, and media plays only from a tap.
  const { page, errors } = await openPageWith((p) => p.addInitScript(() => {
    Object.defineProperty(AudioContext.prototype, "state", { get: () => "suspended", configurable: true });
    AudioContext.prototype.resume = () => new Promise(() => {});
    let tapping = false;
    window.addEventListener("click", () => { tapping = true; setTimeout(() => { tapping = false; }); }, true);
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () {
      return tapping ? play.call(this) : Promise.reject(new DOMException("play() needs a tap", "NotAllowedError"));
    };
  }));
  await page.click("#tab-file");
  await page.setInputFiles("#file-input", fixture("es.wav"));
  await page.click("#translate");
  await page.waitForSelector('#result[data-state="done"]', { timeout: 60000 });
  assert.ok(await page.isVisible("#tap-to-play"));
  assert.ok((await page.textContent("#result-text")).trim().length > 0);
  const record = await page.evaluate(() => window.parleyStream);
  assert.ok(record.blocked);
  assert.ok(record.stages.length >= 2, JSON.stringify(record.stages));
  assert.equal(await page.isVisible("#progress"), false);
  // Long unbroken text wraps in the result too.
  const wrap = await page.locator("#result-text").evaluate((el) => {
    el.textContent = "Translation".repeat(60);
    return { scroll: el.scrollWidth, client: el.clientWidth };
  });
  assert.ok(wrap.scroll <= wrap.client, `scrollWidth ${wrap.scroll} > clientWidth ${wrap.client}`);
  await page.screenshot({ path: path.join(screenshots, "autoplay-blocked.png"), fullPage: true });
  await page.click("#tap-to-play");
  await page.waitForFunction(() => !document.getElementById("result-audio").paused, null, { timeout: 10000 });
  await page.waitForSelector("#tap-to-play", { state: "hidden" });
  assert.deepEqual(errors, []);
  await page.close();
});

test("API key: the page asks for the key once, keeps it and sends it (parley serve --api-key)", async () => {
  const keyed = await startServer(["--api-key", "page-key"]);
  try {
    const page = await context.newPage();
    const errors = watchErrors(page);
    const asked = [];
    page.on("dialog", async (dialog) => { asked.push(dialog.message()); await dialog.accept("page-key"); });
    await page.goto(keyed.url, { waitUntil: "load" });
    await page.waitForFunction(() => [...document.querySelectorAll("#voice option")].some((o) => o.textContent.includes("(default)")));
    assert.equal(asked.length, 1, `asked: ${asked}`);
    assert.equal(await page.evaluate(() => localStorage.getItem("parley-api-key")), "page-key");
    const csp = (await page.request.get(keyed.url)).headers()["content-security-policy"];
    assert.match(csp, /frame-ancestors 'none'/);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    assert.equal(await keyed.stop(), 0);
  }
});
