// Facet counts (documents of the whole result set per value) as toggle buttons that filter the
// search, and the translation of the chosen values into the search request's `filters`.
import { useState } from "preact/hooks";
import { html } from "../../html.js";

const TITLES = { collection: "Collection", tags: "Tags", content_type: "Content type" };
const SHOWN = 8;

export function facetTitle(facet) {
  return TITLES[facet] || facet.replace(/^meta\./, "");
}

export function valueLabel(facet, value, labels) {
  return ((labels || {})[facet] || {})[value] || value;
}

// A meta facet's values are strings; the document's value may be a number or a boolean, so the
// filter accepts each spelling ({in: [...]} compares JSON values).
function metaVariants(value) {
  const out = [value];
  if (value.trim() !== "" && !Number.isNaN(Number(value))) out.push(Number(value));
  if (value === "true" || value === "false") out.push(value === "true");
  return out;
}

// {facet: [values]} → the SearchRequest `filters` (RetrieveFilters).
export function toFilters(selected) {
  const filters = {};
  for (const [facet, values] of Object.entries(selected)) {
    if (!values.length) continue;
    if (facet === "collection") filters.collection_ids = values;
    else if (facet === "tags") filters.tags = values; // documents having all of them
    else if (facet === "content_type") filters.content_types = values;
    else if (facet.startsWith("meta.")) {
      filters.meta = filters.meta || {};
      filters.meta[facet.slice(5)] = { in: values.flatMap(metaVariants) };
    }
  }
  return filters;
}

function Facet({ facet, counts, chosen, labels, onToggle }) {
  const [all, setAll] = useState(false);
  const entries = Object.entries(counts);
  // A chosen value stays listed even when a narrower search no longer counts it.
  for (const value of chosen) if (!(value in counts)) entries.push([value, 0]);
  if (!entries.length) return null;
  const shown = all ? entries : entries.slice(0, SHOWN);
  const id = `facet-${facet.replace(/[^a-z0-9]/gi, "-")}`;
  return html`<section class="search-facet" aria-labelledby=${id}>
    <h3 id=${id}>${facetTitle(facet)}</h3>
    <ul>
      ${shown.map(
        ([value, count]) => html`<li>
          <button
            type="button"
            class="search-facet-value"
            aria-pressed=${chosen.includes(value)}
            onClick=${() => onToggle(facet, value)}
          >
            <span class="search-facet-label">${valueLabel(facet, value, labels)}</span>
            <span class="search-count" aria-label=${`${count} documents`}>${count}</span>
          </button>
        </li>`,
      )}
    </ul>
    ${entries.length > SHOWN &&
    html`<button type="button" class="search-more" onClick=${() => setAll(!all)}>
      ${all ? "Show fewer" : `Show all ${entries.length}`}
    </button>`}
  </section>`;
}

export function Facets({ data, selected, onToggle }) {
  const names = Object.keys(data.facets || {});
  const any = names.some((f) => Object.keys(data.facets[f]).length || (selected[f] || []).length);
  if (!any) return null;
  return html`<aside class="search-facets" aria-label="Filter by facet">
    <h2>Refine</h2>
    ${names.map(
      (facet) => html`<${Facet}
        key=${facet}
        facet=${facet}
        counts=${data.facets[facet]}
        chosen=${selected[facet] || []}
        labels=${data.facet_labels}
        onToggle=${onToggle}
      />`,
    )}
  </aside>`;
}

export function ChosenFilters({ selected, labels, onToggle, onClear }) {
  const chips = Object.entries(selected).flatMap(([facet, values]) => values.map((v) => [facet, v]));
  if (!chips.length) return null;
  return html`<div class="search-chosen" aria-label="Active filters" role="group">
    ${chips.map(
      ([facet, value]) => html`<button type="button" class="search-chip" onClick=${() => onToggle(facet, value)}
        aria-label=${`Remove filter ${facetTitle(facet)}: ${valueLabel(facet, value, labels)}`}>
        ${facetTitle(facet)}: ${valueLabel(facet, value, labels)} ×
      </button>`,
    )}
    <button type="button" class="search-more" onClick=${onClear}>Clear filters</button>
  </div>`;
}
