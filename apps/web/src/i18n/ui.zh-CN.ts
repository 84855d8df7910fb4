// The SPA's own words in Simplified Chinese (see ui.en.ts).
// With its extension: the e2e suite (Node's resolution) reads this catalog too.
import type { UiCatalog } from './ui.en.ts';

export const uiZhCN: UiCatalog = {
  siteName: '注册',
  pageTitle: (title: string) => `${title} · 注册`,
  loading: '加载中…',
  language: { label: '语言', names: { en: 'English', 'zh-CN': '简体中文' } },

  api: {
    cannotReach: '无法连接服务器，请检查网络后重试。',
    unexpected: '出了点问题，请重试。',
    unexpectedAnswer: (status: number) => `服务器返回了意外的应答（HTTP ${status}）。`,
  },
  session: { checkFailed: '无法检查你的登录状态。' },
  duration: (seconds: number) => (seconds < 60 ? `${seconds} 秒` : `${Math.ceil(seconds / 60)} 分钟`),

  register: {
    title: '创建账号',
    intro: '使用用户名和手机号注册。',
    allRequired: '所有字段均为必填。',
    username: '用户名',
    password: '密码',
    passwordRepeat: '确认密码',
    mobile: '手机号',
    passwordsMatch: '两次输入的密码一致。',
    checking: '正在检查是否可用…',
    available: (value: string) => `${value} 可以使用。`,
    availabilityFailed: (reason: string) => `无法检查是否可用。${reason}`,
    tryAgain: '请重试。',
    submit: '创建账号',
    haveAccount: '已有账号？',
    logIn: '登录',
  },

  strength: {
    empty: (min: number) => `至少 ${min} 个字符且不易被猜到：几个不常见的单词组合效果很好。`,
    checking: '正在检查强度…',
    verdict: (label: string, acceptable: boolean) => `强度：${label}${acceptable ? '' : '（太容易被猜到）'}`,
    adviceGap: '。',
  },

  captcha: {
    label: '图形验证码',
    alt: '图形验证码：请输入图中显示的字符',
    title: '点击换一张图片',
    newImage: '换一张',
    failed: '图片加载失败，请点击“换一张”。',
  },

  altcha: {
    switchOn: '看不清图片？换一种方式验证',
    switchOff: '改用图形验证码',
    explain: '由你的浏览器自动完成一道计算题：无需识别或输入任何内容。',
    verifying: '正在验证…需要几秒钟。',
    verified: '验证通过，现在可以获取验证码了。',
    failed: '验证未能完成。',
    retry: '重试',
    spent: '本次验证已用于刚才请求的验证码。可以再次获取验证码时，将自动开始新的验证。',
  },

  sms: {
    label: '短信验证码',
    hint: '获取验证码前，请先填写可用的手机号和图形验证码，然后点击“获取验证码”。',
    hintAltcha: '获取验证码前，请先填写可用的手机号并等待验证完成，然后点击“获取验证码”。',
    getCode: '获取验证码',
    resendIn: (seconds: number) => `${seconds} 秒后重新发送`,
    sent: (digits: number, mobile: string, valid: string) => `已向 ${mobile} 发送 ${digits} 位验证码，${valid}内有效。`,
    devNote: '开发模式：短信不会离开本机。',
    devLink: '在开发发件箱中查看验证码',
  },

  login: {
    title: '登录',
    intro: '使用用户名或手机号登录。',
    account: '用户名或手机号',
    password: '密码',
    submit: '登录',
    tryAgainIn: (wait: string) => `请在 ${wait}后重试。`,
    newHere: '还没有账号？',
    createAccount: '创建账号',
    forgotPassword: '忘记密码？',
    or: '或',
    passkey: '使用通行密钥登录',
    passkeyNotUsed: '未使用通行密钥。你可以重试，或用密码登录。',
    passkeyFailed: '此浏览器无法使用通行密钥，请用密码登录。',
  },

  home: {
    title: '首页',
    welcome: (username: string) => `欢迎，${username}`,
    username: '用户名',
    mobile: '手机号',
    logOut: '退出登录',
    logOutFailed: '退出登录失败，请重试。',
    account: '我的账号',
  },

  notFound: {
    title: '页面不存在',
    intro: '这个地址没有内容。',
    home: '返回首页',
  },
};
