// Knowledge: #/knowledge (collections), #/knowledge/<collection_id> (its documents and uploads),
// #/knowledge/<collection_id>/<document_id> (one document's extraction results).
import { html } from "../html.js";
import { CollectionsView } from "./knowledge/collections.js";
import { CollectionView } from "./knowledge/collection.js";
import { DocumentView } from "./knowledge/document.js";

export function KnowledgePage({ params = [] }) {
  const [collectionId, documentId] = params;
  if (collectionId && documentId) {
    return html`<${DocumentView} key=${documentId} collectionId=${collectionId} documentId=${documentId} />`;
  }
  if (collectionId) return html`<${CollectionView} key=${collectionId} collectionId=${collectionId} />`;
  return html`<${CollectionsView} />`;
}
