// description ⇄ description and descriptionHtml. Google's description "Can contain HTML"
// and Google's web UI writes it as HTML (<br>, <b>, <a href>, &amp;), while API clients
// write plain text with newlines. A description that holds markup is read as HTML (its
// text derived as the normal form derives it, htmlToText); anything else is text.
// Written back: the HTML when the event has some, else the text, escaped when it would
// otherwise read as markup (a literal "<b>" or "&amp;" typed as text), so what a person
// reads stays what they wrote and the normal form, and so the content hash, is the same
// coming back.
import { htmlToText } from '../html-text.ts';

const TAG = /<\/?(a|abbr|b|blockquote|body|br|code|del|div|em|font|h[1-6]|head|hr|html|i|img|li|ol|p|pre|s|small|span|strike|strong|sub|sup|table|tbody|td|th|thead|tr|u|ul)\b[^<>]*>/i;
const ENTITY = /&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/i;

export function looksLikeHtml(text: string): boolean {
  return TAG.test(text) || ENTITY.test(text);
}

export function readDescription(value: string): { description: string; descriptionHtml: string | null } {
  return looksLikeHtml(value) ? { description: htmlToText(value), descriptionHtml: value } : { description: value, descriptionHtml: null };
}

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r\n|\r|\n/g, '<br>');

export function renderDescription(description: string, descriptionHtml: string | null): string {
  if (descriptionHtml !== null && descriptionHtml.trim() !== '') return descriptionHtml;
  return looksLikeHtml(description) ? escapeHtml(description) : description;
}
