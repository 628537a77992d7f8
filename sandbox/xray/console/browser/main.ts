/** The console's one script: each page's HTML names the page in `<body data-page>`. */
import { startMapPage } from './map-page';
import { startTracePage } from './trace-page';
import { startTracesPage } from './traces-page';

const pages: Record<string, () => void> = { map: startMapPage, traces: startTracesPage, trace: startTracePage };

pages[document.body.dataset.page ?? '']?.();
