// The official `openai` npm client against Parley, with only its base URL changed. It sends
// multipart bodies with chunked transfer encoding and OpenAI's own voice names and formats.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { startServer, fixture, repo } from "./server.mjs";

let server;
let client;
const es = fs.readFileSync(fixture("es.wav"));

before(async () => {
  server = await startServer();
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-needed", maxRetries: 0, timeout: 60000 });
});
after(async () => {
  assert.equal(await server.stop(), 0, "the server exits cleanly on SIGTERM");
});

// The server's own answer over plain HTTP, to compare the client's results with.
async function rawAnswer(route, fields) {
  const form = new FormData();
  form.append("file", new Blob([es], { type: "audio/wav" }), "es.wav");
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const response = await fetch(`${server.url}/v1/audio/${route}`, { method: "POST", body: form });
  assert.equal(response.status, 200);
  return response.text();
}

function wavInfo(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(String.fromCharCode(...bytes.subarray(0, 4)), "RIFF");
  assert.equal(String.fromCharCode(...bytes.subarray(8, 12)), "WAVE");
  return { rate: view.getUint32(24, true), channels: view.getUint16(22, true), dataBytes: view.getUint32(40, true) };
}

for (const route of ["translations", "transcriptions"]) {
  const create = (params) => client.audio[route].create({ model: "whisper-1", ...params });

  test(`${route}: json, with the client's streamed (chunked) upload`, async () => {
    const result = await create({ file: fs.createReadStream(fixture("es.wav")) });
    assert.equal(typeof result.text, "string");
    assert.ok(result.text.length > 0);
    assert.deepEqual(result, JSON.parse(await rawAnswer(route, { response_format: "json" })));
  });

  test(`${route}: text, srt and vtt come back as strings`, async () => {
    for (const format of ["text", "srt", "vtt"]) {
      const result = await create({ file: await toFile(es, "es.wav"), response_format: format });
      assert.equal(typeof result, "string", format);
      assert.equal(result, await rawAnswer(route, { response_format: format }), format);
    }
    const srt = await create({ file: await toFile(es, "es.wav"), response_format: "srt" });
    assert.match(srt, /^1\n\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d\n.+\n\n/);
    const vtt = await create({ file: await toFile(es, "es.wav"), response_format: "vtt" });
    assert.match(vtt, /^WEBVTT\n\n\d\d:\d\d:\d\d\.\d\d\d --> \d\d:\d\d:\d\d\.\d\d\d\n/);
  });

  test(`${route}: verbose_json has OpenAI's fields`, async () => {
    const result = await create({ file: await toFile(es, "es.wav"), response_format: "verbose_json", temperature: 0 });
    assert.equal(result.task, route === "translations" ? "translate" : "transcribe");
    assert.equal(typeof result.language, "string");
    assert.ok(Math.abs(result.duration - 5.528) < 0.01, `duration ${result.duration}`);
    assert.ok(result.segments.length > 0);
    for (const s of result.segments) {
      for (const key of ["id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob", "compression_ratio", "no_speech_prob"]) {
        assert.ok(key in s, key);
      }
      assert.ok(s.end >= s.start && s.start >= 0 && s.end <= result.duration + 0.01);
    }
    assert.equal(result.text, result.segments.map((s) => s.text).join("").trim());
  });
}

// `parley transcribe -f json` on the same file, with the server's token limit (server.mjs).
// Run asynchronously: a blocked event loop would miss the server closing an idle keep-alive
// connection, and the next request would be written to a closed socket.
async function cliJson(file, extra = []) {
  const parley = process.env.PARLEY_BINARY || path.join(repo, "build/parley");
  const { stdout: out } = await promisify(execFile)(parley, ["transcribe", "--model", path.join(repo, "tests/data/models/whisper-tiny-random"),
    "-f", "json", "--max-new-tokens", "12", ...extra, fixture(file)], { encoding: "utf8" });
  return JSON.parse(out);
}

test("transcriptions: one decode, every format: the same text, and the CLI's -f json agrees", async () => {
  const ask = (format) => client.audio.transcriptions.create({ model: "whisper-1", file: fs.createReadStream(fixture("es.wav")), response_format: format });
  const verbose = await ask("verbose_json");
  assert.ok(verbose.text.length > 0);
  assert.equal((await ask("json")).text, verbose.text);
  assert.equal(await ask("text"), verbose.text + "\n");
  // Subtitle cues: each segment's text, stripped, in order.
  const cues = verbose.segments.map((s) => s.text.trim()).filter((t) => t.length > 0);
  const srt = (await ask("srt")).split("\n\n").filter((c) => c).map((c) => c.split("\n").slice(2).join("\n"));
  assert.deepEqual(srt, cues);
  const vtt = (await ask("vtt")).split("\n\n").slice(1).filter((c) => c).map((c) => c.split("\n").slice(1).join("\n"));
  assert.deepEqual(vtt, cues);
  // The CLI decodes the same way and renders with the same writer: the same text and segments,
  // with the decoder's own statistics (not placeholders).
  const cli = await cliJson("es.wav");
  assert.equal(cli.text, verbose.text);
  assert.deepEqual(cli.segments, verbose.segments);
  for (const s of verbose.segments) {
    assert.ok(s.avg_logprob < 0, `avg_logprob ${s.avg_logprob}`);
    assert.ok(s.compression_ratio > 0, `compression_ratio ${s.compression_ratio}`);
    assert.ok(s.no_speech_prob > 0 && s.no_speech_prob < 1, `no_speech_prob ${s.no_speech_prob}`);
  }
});

// (OpenAI's client reads events from transcriptions only; the server streams translations the same
// way, tested in tests/server.)
test("transcriptions: stream true gives OpenAI's text events", async () => {
  for (const route of ["transcriptions"]) {
    const whole = await client.audio[route].create({ model: "whisper-1", file: await toFile(es, "es.wav") });
    const stream = await client.audio[route].create({ model: "whisper-1", file: await toFile(es, "es.wav"), stream: true });
    const events = [];
    for await (const event of stream) events.push(event);
    assert.ok(events.length >= 2, JSON.stringify(events));
    const done = events.at(-1);
    assert.equal(done.type, "transcript.text.done");
    assert.equal(done.text, whole.text);
    const deltas = events.slice(0, -1);
    assert.ok(deltas.every((e) => e.type === "transcript.text.delta"), JSON.stringify(deltas));
    assert.equal(deltas.map((e) => e.delta).join(""), whole.text);
  }
});

test("transcriptions: a language and a prompt (Whisper's initial prompt) are accepted", async () => {
  const result = await client.audio.transcriptions.create({ model: "whisper-1", file: await toFile(es, "es.wav"), language: "es" });
  assert.ok(result.text.length > 0);
  assert.deepEqual(result, JSON.parse(await rawAnswer("transcriptions", { language: "es" })));
  const fields = { language: "es", prompt: "Una conversación.", temperature_fallback: "false" };
  const prompted = await client.audio.transcriptions.create({ model: "whisper-1", file: await toFile(es, "es.wav"), ...fields });
  assert.deepEqual(prompted, JSON.parse(await rawAnswer("transcriptions", fields)));
});

test("speech: OpenAI voice names map to the default voice; wav and pcm", async () => {
  const input = "Hello from Parley.";
  const wav = new Uint8Array(await (await client.audio.speech.create({ model: "tts-1", voice: "alloy", input, response_format: "wav" })).arrayBuffer());
  const info = wavInfo(wav);
  assert.equal(info.rate, 16000);
  assert.equal(info.channels, 1);
  assert.ok(info.dataBytes > 0);
  assert.equal(info.dataBytes, wav.length - 44);
  // OpenAI's pcm: 16-bit mono at 24 kHz, so the model's 16 kHz speech comes resampled (1.5 times the samples).
  const pcmResponse = await client.audio.speech.create({ model: "tts-1", voice: "alloy", input, response_format: "pcm" });
  assert.equal(pcmResponse.headers.get("x-sample-rate"), "24000");
  const pcm = new Uint8Array(await pcmResponse.arrayBuffer());
  assert.equal(pcm.length % 2, 0);
  assert.ok(Math.abs(pcm.length / 2 - (info.dataBytes / 2) * 1.5) <= 2, `${pcm.length} bytes of pcm for ${info.dataBytes} of wav`);
  // Another OpenAI voice is the same default voice: the same audio.
  const nova = new Uint8Array(await (await client.audio.speech.create({ model: "tts-1", voice: "nova", input, response_format: "wav" })).arrayBuffer());
  assert.deepEqual(nova, wav);
  // speed 1 is every voice's own rate: the same audio.
  const atOne = new Uint8Array(await (await client.audio.speech.create({ model: "tts-1", voice: "alloy", input, response_format: "wav", speed: 1 })).arrayBuffer());
  assert.deepEqual(atOne, wav);
});

test("speech: OpenAI's default format is mp3, and opus, aac, flac work", async () => {
  const bytes = async (params) => new Uint8Array(await (await client.audio.speech.create({ model: "tts-1", voice: "nova", input: "Hello.", ...params })).arrayBuffer());
  const mp3 = await bytes({});
  // An MP3 file starts with an ID3 tag or an MPEG frame sync.
  assert.ok(String.fromCharCode(...mp3.subarray(0, 3)) === "ID3" || (mp3[0] === 0xff && (mp3[1] & 0xe0) === 0xe0));
  assert.equal(String.fromCharCode(...(await bytes({ response_format: "opus" })).subarray(0, 4)), "OggS");
  assert.equal(String.fromCharCode(...(await bytes({ response_format: "flac" })).subarray(0, 4)), "fLaC");
  const aac = await bytes({ response_format: "aac" });
  assert.ok(aac[0] === 0xff && (aac[1] & 0xf6) === 0xf0, "ADTS sync word");
});

test("speech: errors reach the client as API errors with the server's message", async () => {
  await assert.rejects(
    client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "Hi.", speed: 2, response_format: "wav" }),
    (err) => err instanceof OpenAI.APIError && err.status === 400 && /speed/.test(err.message));
  // OpenAI's range for speed, 0.25 to 4.0, whatever the voice.
  await assert.rejects(
    client.audio.speech.create({ model: "tts-1", voice: "alloy", input: "Hi.", speed: 5, response_format: "wav" }),
    (err) => err instanceof OpenAI.BadRequestError && /'speed' must be a number from 0\.25 to 4\.0/.test(err.message));
  await assert.rejects(
    client.audio.transcriptions.create({ model: "whisper-1", file: await toFile(Buffer.from("not audio"), "notes.txt") }),
    (err) => err instanceof OpenAI.APIError && [415, 422].includes(err.status));
});

test("models: the client lists them and retrieves each one; an unknown id is a 404", async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.ok(ids.includes("whisper-1") && ids.includes("tts-1"), ids.join(","));
  for (const id of ids) {
    const model = await client.models.retrieve(id);
    assert.equal(model.id, id);
    assert.equal(model.object, "model");
  }
  await assert.rejects(client.models.retrieve("gpt-4o-transcribe"),
    (err) => err instanceof OpenAI.NotFoundError && err.status === 404 && /does not exist/.test(err.message));
});
