const { renderComponent, text, server, flush } = T;

describe('components', () => {
  test('state shows loading, error with retry, login and empty', async () => {
    const c = await renderComponent('state', { loading: true });
    expect(text(c)).toContain('加载中');
    c.setData({ loading: false, error: '网络不可用' });
    await flush();
    expect(text(c)).toContain('网络不可用');
    const retry = jest.fn();
    c.instance.triggerEvent = retry;
    c.instance.onRetry();
    expect(retry).toHaveBeenCalledWith('retry');
    c.setData({ error: '', empty: true, emptyText: '暂无办件' });
    await flush();
    expect(text(c)).toContain('暂无办件');
  });

  test('timeline renders each status with time and note, last one current', async () => {
    const c = await renderComponent('timeline', { items: [
      { status: 'submitted', at: '2024-05-06T09:00:00+08:00', note: '' },
      { status: 'correction_requested', at: '2024-05-07T10:30:00+08:00', note: '请补充户口本' },
    ] });
    const t = text(c);
    expect(t).toContain('已提交');
    expect(t).toContain('2024-05-06 09:00');
    expect(t).toContain('待补正');
    expect(t).toContain('请补充户口本');
    expect(c.querySelectorAll('.timeline__row--current')).toHaveLength(1);
  });

  test('timeline empty', async () => {
    const c = await renderComponent('timeline', { items: [] });
    expect(text(c)).toContain('暂无办理记录');
  });

  test('status tag maps codes to Chinese', async () => {
    const c = await renderComponent('status-tag', { kind: 'payment', status: 'unpaid' });
    expect(text(c)).toContain('待支付');
    c.setData({ kind: 'appointment', status: 'booked' });
    await flush();
    expect(text(c)).toContain('已预约');
  });
});
