// The web page in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): record
// from a fake microphone that plays a fixture WAV, and upload a file; each run must show the English
// text and a playable audio result, and saves a screenshot under tests/web/screenshots/ (not
// committed). The page streams (POST /v1/speech-translation/stream): the first sentence starts
// playing before the translation is done; continuous mode translates while the microphone runs. The server is the real `parley serve` on the fixture models (server.mjs).
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

async function openPage() {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (err) => errors.push(err.message));
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
