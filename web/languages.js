// The languages this server can hear and speak, for the page's pickers: GET /v1/languages when the
// server has it; otherwise (an older server, 404) the page can only speak English, and hears the
// languages Whisper knows. A picker is a search box that filters a <select>.
"use strict";

const ParleyLanguages = (() => {
  // Whisper's languages offered when the server does not list its own (the server accepts any of
  // Whisper's codes as the spoken language).
  const WHISPER_CODES = ["ar", "ca", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hu", "id", "it",
    "ja", "ko", "ms", "nl", "no", "pl", "pt", "ro", "ru", "sk", "sv", "sw", "ta", "th", "tr", "uk", "ur", "vi", "zh"];
  const displayNames = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "language" }) : null;
  function nameOf(code) {
    try { return (displayNames && displayNames.of(code)) || code; } catch { return code; }
  }

  // Without /v1/languages the server speaks English only (SpeechT5), whatever it hears.
  function fallbackList() {
    return WHISPER_CODES.map((code) => ({ code, name: nameOf(code), hear: true, speak: code === "en",
      tts_on_disk: true, mt_on_disk: true }));
  }

  // Resolves to { list, fromServer }: the server's languages, or the fallback when it has no such route.
  async function load() {
    try {
      const response = await ParleyAuth.fetch("/v1/languages");
      if (response.ok) {
        const body = await response.json();
        if (body && Array.isArray(body.data) && body.data.length) {
          const list = body.data.filter((l) => l && typeof l.code === "string")
            .map((l) => ({ ...l, name: l.name || nameOf(l.code) }));
          return { list, fromServer: true };
        }
      }
    } catch { /* fall back below: an older server, or none at all */ }
    return { list: fallbackList(), fromServer: false };
  }

  // A language needs a download when one of the models it needs is not on this server's disk yet.
  function needsDownload(language) {
    return language.tts_on_disk === false || (language.code !== "en" && language.mt_on_disk === false);
  }

  // The first of the browser's languages (navigator.languages, "fr-CA" matching "fr") that `usable`
  // accepts, else English, else the first usable one.
  function preferred(list, usable, browserLanguages) {
    const codes = (browserLanguages || []).map((tag) => String(tag).toLowerCase());
    for (const tag of codes) {
      const match = list.find((l) => usable(l) && (l.code.toLowerCase() === tag || l.code.toLowerCase() === tag.split("-")[0]));
      if (match) return match.code;
    }
    const english = list.find((l) => l.code === "en" && usable(l));
    if (english) return english.code;
    const first = list.find(usable);
    return first ? first.code : "";
  }

  // Fills `select` from `list` (sorted by name; those `usable` rejects are shown disabled) and makes
  // `filter` (a search box) hide the options whose name or code does not contain what is typed.
  function fillPicker(select, filter, list, usable, chosen, note) {
    select.innerHTML = "";
    [...list].sort((a, b) => a.name.localeCompare(b.name)).forEach((language) => {
      const extra = note ? note(language) : "";
      const option = new Option(`${language.name} (${language.code})${extra ? ` · ${extra}` : ""}`, language.code);
      option.disabled = !usable(language);
      option.selected = language.code === chosen;
      if (needsDownload(language)) option.dataset.download = "true";
      select.add(option);
    });
    if (!filter) return;
    filter.addEventListener("input", () => {
      const needle = filter.value.trim().toLowerCase();
      let firstShown = null;
      for (const option of select.options) {
        const shown = !needle || option.textContent.toLowerCase().includes(needle);
        option.hidden = !shown;
        if (shown && !option.disabled && !firstShown) firstShown = option;
      }
      // Typing a name picks the first match, so the search box alone is enough to choose.
      const current = select.selectedOptions[0];
      if (firstShown && (!current || current.hidden)) {
        select.value = firstShown.value;
        select.dispatchEvent(new Event("change"));
      }
    });
  }

  return { load, fallbackList, nameOf, needsDownload, preferred, fillPicker };
})();
