"""Server-rendered HTML pages (zh-CN, no external assets) and the page models behind them."""
