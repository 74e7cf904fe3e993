// The official `openai` npm client against Parley, with only its base URL changed. It sends
// multipart bodies with chunked transfer encoding and OpenAI's own voice names and formats.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import OpenAI, { toFile } from "openai";
import { startServer, fixture } from "./server.mjs";

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
  const pcm = new Uint8Array(await (await client.audio.speech.create({ model: "tts-1", voice: "alloy", input, response_format: "pcm" })).arrayBuffer());
  assert.deepEqual(pcm, wav.subarray(44));
  // Another OpenAI voice is the same default voice: the same audio.
  const nova = new Uint8Array(await (await client.audio.speech.create({ model: "tts-1", voice: "nova", input, response_format: "wav" })).arrayBuffer());
  assert.deepEqual(nova, wav);
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
  await assert.rejects(
    client.audio.transcriptions.create({ model: "whisper-1", file: await toFile(Buffer.from("not audio"), "notes.txt") }),
    (err) => err instanceof OpenAI.APIError && [415, 422].includes(err.status));
});

test("models: the client lists them", async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.ok(ids.includes("whisper-1") && ids.includes("tts-1"), ids.join(","));
});
