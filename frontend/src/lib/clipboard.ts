// Copying text. navigator.clipboard exists only in secure contexts (https, or localhost), and a
// dashboard reached over plain http on a lab network is neither, so fall back to a selected
// textarea and execCommand('copy'), which every browser still honours for a user's click.
export async function copyText(text: string, doc: Document = document): Promise<boolean> {
  const clip = doc.defaultView?.navigator.clipboard;
  if (clip?.writeText) {
    try {
      await clip.writeText(text);
      return true;
    } catch {
      // Permission refused (or no user gesture): try the old way.
    }
  }
  const area = doc.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  doc.body.appendChild(area);
  area.select();
  try {
    return doc.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}
