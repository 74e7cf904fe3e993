// Recording helpers: capture microphone samples with Web Audio, resample to 16 kHz mono and wrap
// them in a 16-bit PCM WAV file, the format every Parley server decodes.
"use strict";

const ParleyWav = (() => {
  // Resamples mono float samples to `rate` Hz with the browser's own resampler.
  async function resample(samples, fromRate, rate) {
    if (fromRate === rate) return samples;
    const length = Math.max(1, Math.ceil(samples.length * rate / fromRate));
    const offline = new OfflineAudioContext(1, length, rate);
    const buffer = offline.createBuffer(1, samples.length, fromRate);
    buffer.copyToChannel(samples, 0);
    const source = offline.createBufferSource();
    source.buffer = buffer;
    source.connect(offline.destination);
    source.start();
    const rendered = await offline.startRendering();
    return rendered.getChannelData(0);
  }

  // A WAV file (16-bit PCM, mono) as a Blob.
  function encode(samples, rate) {
    const bytes = new ArrayBuffer(44 + samples.length * 2);
    const view = new DataView(bytes);
    const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
    text(0, "RIFF");
    view.setUint32(4, 36 + samples.length * 2, true);
    text(8, "WAVEfmt ");
    view.setUint32(16, 16, true);
    view.setUint16(20, 1, true);          // integer PCM
    view.setUint16(22, 1, true);          // mono
    view.setUint32(24, rate, true);
    view.setUint32(28, rate * 2, true);   // bytes per second
    view.setUint16(32, 2, true);          // bytes per frame
    view.setUint16(34, 16, true);         // bits per sample
    text(36, "data");
    view.setUint32(40, samples.length * 2, true);
    for (let i = 0; i < samples.length; i++) {
      const s = Math.max(-1, Math.min(1, samples[i] || 0));
      view.setInt16(44 + i * 2, Math.round(s * 32767), true);
    }
    return new Blob([bytes], { type: "audio/wav" });
  }

  // Records from the microphone until stop() is called; stop() resolves to a 16 kHz WAV Blob.
  // onLevel(0..1) is called with the input level for a meter.
  async function record(onLevel) {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
    });
    const context = new AudioContext();
    await context.resume();
    const input = context.createMediaStreamSource(stream);
    // ScriptProcessorNode is deprecated but works everywhere without a separate worklet file.
    const tap = context.createScriptProcessor(4096, 1, 1);
    const chunks = [];
    const peaks = [];  // each chunk's peak level, for finding pauses
    let taken = 0;     // chunks already handed out by take()
    tap.onaudioprocess = (event) => {
      const data = event.inputBuffer.getChannelData(0);
      chunks.push(new Float32Array(data));
      let peak = 0;
      for (let i = 0; i < data.length; i++) peak = Math.max(peak, Math.abs(data[i]));
      peaks.push(peak);
      if (onLevel) onLevel(peak);
    };
    input.connect(tap);
    tap.connect(context.destination);
    const rate = context.sampleRate;
    const length = (from) => chunks.slice(from).reduce((n, c) => n + c.length, 0);
    // The chunks from `from` on as one 16 kHz WAV Blob.
    async function wav(from) {
      const all = new Float32Array(length(from));
      let at = 0;
      for (const c of chunks.slice(from)) { all.set(c, at); at += c.length; }
      return encode(await resample(all, rate, 16000), 16000);
    }
    return {
      seconds: () => length(0) / rate,
      // Seconds recorded since the last take().
      pendingSeconds: () => length(taken) / rate,
      // Seconds of quiet (peak below `threshold`) at the end of what is pending.
      quietSeconds(threshold = 0.02) {
        let n = 0;
        for (let i = chunks.length - 1; i >= taken && peaks[i] < threshold; i--) n += chunks[i].length;
        return n / rate;
      },
      // What was recorded since the last take() as a 16 kHz WAV Blob (continuous translation).
      async take() {
        const from = taken;
        taken = chunks.length;
        return wav(from);
      },
      async stop() {
        input.disconnect();
        tap.disconnect();
        stream.getTracks().forEach((t) => t.stop());
        const whole = await wav(0);
        await context.close();
        return whole;
      },
      // Stops and returns what was recorded since the last take().
      async stopAndTake() {
        input.disconnect();
        tap.disconnect();
        stream.getTracks().forEach((t) => t.stop());
        const rest = await wav(taken);
        taken = chunks.length;
        await context.close();
        return rest;
      },
    };
  }

  return { encode, resample, record };
})();
