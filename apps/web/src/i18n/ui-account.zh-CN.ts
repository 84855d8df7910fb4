// The SPA's own words for the pages after sign-up, in Simplified Chinese (see ui-account.en.ts).
import type { AccountUi } from './ui-account.en.ts';

export const accountUiZhCN: AccountUi = {
  reset: {
    title: '重置密码',
    intro: '我们会向你账号的手机号发送验证码，然后请设置新密码。',
    mobile: '手机号',
    hint: '获取验证码前，请先填写账号的手机号和图形验证码，然后点击“获取验证码”。',
    hintAltcha: '获取验证码前，请先填写账号的手机号并等待验证完成，然后点击“获取验证码”。',
    password: '新密码',
    passwordRepeat: '确认新密码',
    submit: '设置新密码',
    remembered: '想起密码了？',
    logIn: '登录',
  },

  account: {
    title: '我的账号',
    profile: '个人资料',
    username: '用户名',
    mobile: '手机号',
    email: '邮箱',
    noEmail: '尚未设置',
    verified: '已验证',
    unverified: '未验证',
    home: '返回首页',

    emailHeading: '邮箱',
    emailIntro: '安全提醒（修改密码、更换手机号、重置密码）会发送到已验证的邮箱。',
    emailLabel: '邮箱地址',
    saveEmail: '保存邮箱地址',
    resend: '重新发送验证邮件',
    devMailNote: '开发模式：邮件不会离开本机。',
    devMailLink: '在开发邮件发件箱中查看邮件',

    passwordHeading: '修改密码',
    passwordIntro: '你的其他会话将会退出，当前会话保持登录。',
    oldPassword: '当前密码',
    newPassword: '新密码',
    newPasswordRepeat: '确认新密码',
    changePassword: '修改密码',

    mobileHeading: '更换手机号',
    mobileIntro: '我们会向新号码发送验证码，以确认号码属于你。',
    newMobile: '新手机号',
    sameMobile: '这已经是你账号的手机号。',
    mobileHint: '获取验证码前，请先填写可用的手机号和图形验证码，然后点击“获取验证码”。',
    mobileHintAltcha: '获取验证码前，请先填写可用的手机号并等待验证完成，然后点击“获取验证码”。',
    mobilePassword: '当前密码',
    changeMobile: '更换手机号',

    sessionsHeading: '登录设备',
    sessionsLoading: '正在加载你的会话…',
    sessionsFailed: '无法加载你的会话。',
    reload: '重新加载',
    thisDevice: '当前设备',
    signedIn: '登录时间',
    lastSeen: '最近活动',
    network: '网络',
    signOut: '退出',
    signOutOthers: '退出其他所有设备',
    onlyThisOne: '你只在当前设备上登录。',
    sessionLost: '你的会话已结束，请重新登录。',
  },

  verify: {
    title: '验证邮箱',
    verifying: '正在验证你的邮箱地址…',
    toAccount: '前往我的账号',
    retry: '重试',
  },
};
