// The Chinese chunk: the contracts' catalog and the SPA's words, loaded when Chinese is chosen.
import { zhCN } from '@register/contracts/i18n/zh-CN';
import type { Language } from './locale';
import { uiZhCN } from './ui.zh-CN';

export const chinese: Language = { locale: 'zh-CN', messages: zhCN, ui: uiZhCN };
