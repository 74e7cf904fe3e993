// Streaming translation for the web page: POST the audio to /v1/speech-translation/stream, read its
// server-sent events as they arrive, and play each sentence's audio the moment it comes, queued
// one after another with Web Audio so the first sentence plays while the rest is still being made.
"use strict";

const ParleyStream = (() => {
  const RESUME_WAIT_MS = 600;

  // Reads a text/event-stream response body, calling onEvent(name, data) for each event in order.
  async function readEvents(response, onEvent) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let end;
      while ((end = pending.indexOf("\n\n")) >= 0) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        let name = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        await onEvent(name, data ? JSON.parse(data) : null);
      }
    }
  }

  function base64Bytes(data) {
    const bytes = atob(data);
    const array = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return array;
  }

  // Plays audio chunks back to back, in the order given, as soon as each is decoded. Keeps every
  // chunk's samples so the whole speech can be offered as one WAV at the end.
  class Player {
    constructor() {
      // At the speech's own rate, so decoding keeps the server's samples (the browser resamples for
      // the speakers); the whole speech is then offered for download as the server made it.
      try { this.context = new AudioContext({ sampleRate: 16000 }); } catch { this.context = new AudioContext(); }
      this.nextTime = 0;
      this.samples = [];
      this.rate = 16000;
      this.firstPlay = null;  // performance.now() when the first chunk starts to sound
      this.chain = Promise.resolve();
      this.sources = [];
      this.blocked = false;   // true when the browser would not let the speech play by itself
    }

    // Queues one WAV (bytes); returns when it is scheduled.
    add(wavBytes) {
      this.chain = this.chain.then(async () => {
        const buffer = await this.context.decodeAudioData(wavBytes.buffer.slice(0));
        this.samples.push(new Float32Array(buffer.getChannelData(0)));
        this.rate = buffer.sampleRate;
        if (this.blocked) return;
        // A browser that blocks autoplay keeps the context suspended and resume() pending for ever:
        // wait a moment, then give up playing (the samples are kept; the page offers a play button).
        if (this.context.state === "suspended") {
          await Promise.race([this.context.resume(), new Promise((resolve) => setTimeout(resolve, RESUME_WAIT_MS))]);
        }
        if (this.context.state !== "running") {
          this.blocked = true;
          return;
        }
        const now = this.context.currentTime;
        const at = Math.max(now + 0.02, this.nextTime);
        const source = this.context.createBufferSource();
        source.buffer = buffer;
        source.connect(this.context.destination);
        source.start(at);
        this.sources.push(source);
        if (this.firstPlay === null) this.firstPlay = performance.now() + (at - now) * 1000;
        this.nextTime = at + buffer.duration;
      });
      return this.chain;
    }

    // Seconds of queued audio not yet played.
    ahead() { return Math.max(0, this.nextTime - this.context.currentTime); }

    // Every chunk so far as one 16-bit WAV Blob.
    wav() {
      const all = new Float32Array(this.samples.reduce((n, s) => n + s.length, 0));
      let at = 0;
      for (const s of this.samples) { all.set(s, at); at += s.length; }
      return ParleyWav.encode(all, this.rate);
    }

    stop() {
      for (const s of this.sources) { try { s.stop(); } catch { /* already ended */ } }
      this.context.close();
    }
  }

  // Sends one recording; calls handlers.language(data), .text(data), .audio(data), .progress(data)
  // and .done(data) as the events arrive, queueing the audio into `player`. Throws Error with the server's message.
  async function translate(form, player, handlers) {
    const response = await ParleyAuth.fetch("/v1/speech-translation/stream", { method: "POST", body: form });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      const message = body && body.error ? body.error.message : `the server answered ${response.status}`;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    let done = null;
    await readEvents(response, async (name, data) => {
      if (name === "error") {
        const error = new Error(data && data.error ? data.error.message : "the translation failed");
        error.status = data && data.status;
        throw error;
      }
      if (name === "audio") {
        player.add(base64Bytes(data.audio));
      }
      if (name === "done") done = data;
      if (handlers[name]) handlers[name](data);
    });
    if (!done) throw new Error("the connection ended before the translation was finished");
    await player.chain;
    return done;
  }

  // Plays an <audio> element; where the browser refuses (autoplay blocked), shows `button`, which
  // plays it on a tap. Resolves to true when it plays.
  async function playOrOffer(audio, button) {
    const offer = () => {
      button.hidden = false;
      button.onclick = () => {
        audio.play().then(() => { button.hidden = true; }).catch(() => { /* the controls still work */ });
      };
      return false;
    };
    try {
      await audio.play();
      button.hidden = true;
      return true;
    } catch {
      return offer();
    }
  }

  // A progress event (stage, done, total, unit, detail) in words: "Recognising: 30.0 of 45.0 s
  // (window 1 of 2)…", "Translating: 2 sentences…", "Speaking: 3.8 s (piece 1)…".
  const stageWords = { asr: "Recognising", mt: "Translating", tts: "Speaking" };
  function describeProgress(data) {
    const amount = data.unit === "s"
      ? `${data.done.toFixed(1)}${data.total > 0 ? ` of ${data.total.toFixed(1)}` : ""} s`
      : `${data.done} ${data.unit}${data.done === 1 ? "" : "s"}`;
    return `${stageWords[data.stage] || data.stage}: ${amount}${data.detail ? ` (${data.detail})` : ""}…`;
  }

  return { translate, Player, readEvents, playOrOffer, describeProgress };
})();
