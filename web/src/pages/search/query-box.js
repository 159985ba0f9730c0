// The query box: a labelled search input with suggestions as you type (an ARIA 1.2 combobox).
// Suggestions come from GET /v1/search-engines/{id}/suggest, 150 ms after the last keystroke;
// a response older than the latest request is dropped. Arrow keys move, Enter picks (or searches
// what was typed), Escape closes the list.
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../../html.js";
import { get } from "../../api.js";

const DEBOUNCE_MS = 150;

export function QueryBox({ engineId, initial, onSearch }) {
  const [value, setValue] = useState(initial || "");
  const [suggestions, setSuggestions] = useState([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const timer = useRef(null);
  const latest = useRef(0);

  useEffect(() => () => clearTimeout(timer.current), []);

  function close() {
    clearTimeout(timer.current);
    latest.current += 1; // whatever is still in flight is now stale
    setOpen(false);
    setActive(-1);
  }

  function suggest(text) {
    clearTimeout(timer.current);
    const prefix = text.trim();
    const ticket = ++latest.current;
    if (!prefix) {
      setSuggestions([]);
      setOpen(false);
      return;
    }
    timer.current = setTimeout(async () => {
      try {
        const found = await get(`/v1/search-engines/${engineId}/suggest`, {
          query: { q: prefix.slice(0, 200), limit: 8 },
        });
        if (ticket !== latest.current) return;
        setSuggestions(found.suggestions);
        setActive(-1);
        setOpen(found.suggestions.length > 0);
      } catch {
        // Suggestions are a convenience: a failure leaves the box as it was.
        if (ticket === latest.current) setOpen(false);
      }
    }, DEBOUNCE_MS);
  }

  function search(text) {
    close();
    if (text.trim()) onSearch(text.trim());
  }

  function pick(suggestion) {
    setValue(suggestion.text);
    search(suggestion.text);
  }

  function onKeyDown(event) {
    const count = suggestions.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!count) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      if (!open) {
        setOpen(true);
        setActive(step > 0 ? 0 : count - 1);
      } else {
        setActive(active < 0 && step < 0 ? count - 1 : (active + step + count) % count);
      }
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      pick(suggestions[active]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault(); // a search input would also clear itself
      close();
    }
  }

  const listId = "search-suggestions";
  const optionId = (i) => `search-suggestion-${i}`;
  return html`<form class="search-box" role="search" onSubmit=${(e) => (e.preventDefault(), search(value))}>
    <label for="search-query">Search query</label>
    <div class="search-box-row">
      <div class="search-combo">
        <input
          id="search-query"
          type="search"
          role="combobox"
          autocomplete="off"
          spellcheck="false"
          maxlength="2000"
          placeholder="Search the documents…"
          aria-autocomplete="list"
          aria-controls=${listId}
          aria-expanded=${open}
          aria-activedescendant=${open && active >= 0 ? optionId(active) : undefined}
          value=${value}
          onInput=${(e) => {
            setValue(e.currentTarget.value);
            suggest(e.currentTarget.value);
          }}
          onKeyDown=${onKeyDown}
          onBlur=${() => setOpen(false)}
        />
        <ul id=${listId} role="listbox" aria-label="Suggestions" class="search-suggestions" hidden=${!open}>
          ${suggestions.map(
            (s, i) => html`<li
              id=${optionId(i)}
              role="option"
              aria-selected=${i === active}
              onMouseDown=${(e) => e.preventDefault()}
              onClick=${() => pick(s)}
            >
              <span>${s.text}</span>
              <span class="muted">${s.source}</span>
            </li>`,
          )}
        </ul>
      </div>
      <button type="submit" class="primary">Search</button>
    </div>
  </form>`;
}
