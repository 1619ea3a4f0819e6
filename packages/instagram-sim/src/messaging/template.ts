import { INSTAGRAM_MESSAGE_LIMITS as L } from '@threadline/contract';
import { invalidParameter } from '../platform/errors.ts';
import { isHttpUrl, isObject } from './json.ts';

/** Generic template (≤ 10 elements) and button template (≤ 3 buttons): web_url and postback buttons only (§4). */

const P = 'message[attachment][payload]';

function checkLength(value: unknown, max: number, path: string, required: boolean): void {
  if (value === undefined && !required) return;
  if (typeof value !== 'string' || value.length === 0) throw invalidParameter(`The parameter ${path} is required`);
  if ([...value].length > max) throw invalidParameter(`Param ${path} must be at most ${max} characters`);
}

function checkButtons(raw: unknown, path: string, required: boolean): void {
  if (raw === undefined && !required) return;
  if (!Array.isArray(raw) || raw.length === 0) throw invalidParameter(`Param ${path} must be a non-empty array`);
  if (raw.length > L.templateMaxButtons) throw invalidParameter(`Param ${path} must have at most ${L.templateMaxButtons} items`);
  raw.forEach((button, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(button)) throw invalidParameter(`Param ${at} must be an object`);
    checkLength(button['title'], L.templateTitleMaxChars, `${at}[title]`, true);
    if (button['type'] === 'web_url') {
      if (!isHttpUrl(button['url'])) throw invalidParameter(`Param ${at}[url] must be a valid URL`);
    } else if (button['type'] === 'postback') {
      if (typeof button['payload'] !== 'string' || button['payload'].length === 0)
        throw invalidParameter(`The parameter ${at}[payload] is required`);
    } else throw invalidParameter(`Param ${at}[type] must be one of {web_url, postback}`);
  });
}

export function parseTemplate(raw: unknown): Record<string, unknown> {
  if (!isObject(raw)) throw invalidParameter(`The parameter ${P} is required`);
  const type = raw['template_type'];
  if (type === 'button') {
    checkLength(raw['text'], 640, `${P}[text]`, true);
    checkButtons(raw['buttons'], `${P}[buttons]`, true);
    return raw;
  }
  if (type !== 'generic') throw invalidParameter(`Param ${P}[template_type] must be one of {generic, button}`);
  const elements = raw['elements'];
  if (!Array.isArray(elements) || elements.length === 0) throw invalidParameter(`Param ${P}[elements] must be a non-empty array`);
  if (elements.length > L.genericTemplateMaxElements)
    throw invalidParameter(`Param ${P}[elements] must have at most ${L.genericTemplateMaxElements} items`);
  elements.forEach((element, i) => {
    const at = `${P}[elements][${i}]`;
    if (!isObject(element)) throw invalidParameter(`Param ${at} must be an object`);
    checkLength(element['title'], L.templateTitleMaxChars, `${at}[title]`, true);
    checkLength(element['subtitle'], L.templateSubtitleMaxChars, `${at}[subtitle]`, false);
    if (element['image_url'] !== undefined && !isHttpUrl(element['image_url']))
      throw invalidParameter(`Param ${at}[image_url] must be a valid URL`);
    const action = element['default_action'];
    if (action !== undefined && (!isObject(action) || action['type'] !== 'web_url' || !isHttpUrl(action['url'])))
      throw invalidParameter(`Param ${at}[default_action] must be a web_url action with a valid url`);
    checkButtons(element['buttons'], `${at}[buttons]`, false);
  });
  return raw;
}
