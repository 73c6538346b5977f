module github.com/sscard/sscard/asm/_gen

go 1.26.0
