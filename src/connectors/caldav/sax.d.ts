// The part of sax 1.x (a dependency of xml-js, which tsdav depends on) that xml.ts
// uses: the namespace-aware strict parser. sax ships no type declarations.
declare module 'sax' {
  export interface QualifiedName {
    name: string;
    prefix: string;
    local: string;
    uri: string;
  }
  export interface QualifiedAttribute extends QualifiedName {
    value: string;
  }
  export interface QualifiedTag extends QualifiedName {
    attributes: Record<string, QualifiedAttribute>;
    isSelfClosing: boolean;
  }
  export interface SAXParser {
    onopentag: (tag: QualifiedTag) => void;
    onclosetag: (name: string) => void;
    ontext: (text: string) => void;
    oncdata: (text: string) => void;
    onerror: (error: Error) => void;
    write(chunk: string): SAXParser;
    close(): SAXParser;
  }
  export function parser(strict: boolean, options: { xmlns: true; trim?: boolean; normalize?: boolean }): SAXParser;
  const sax: { parser: typeof parser };
  export default sax;
}
