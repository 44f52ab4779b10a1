<#
.SYNOPSIS
  Build Token Monitor for Windows with PyInstaller (one-dir) from this checkout.

.DESCRIPTION
  Creates a fresh venv in build\venv, installs the app and PyInstaller, builds
  packaging\token-monitor.spec and zips the result:
    dist\token-monitor\token-monitor.exe       windowed: the tray, and what login starts
    dist\token-monitor\token-monitor-cli.exe   console: status, doctor, autostart, ...
    dist\token-monitor-<version>-windows-<arch>.zip

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\build.ps1
  powershell -ExecutionPolicy Bypass -File scripts\build.ps1 -KeepVenv -Python "C:\Python311\python.exe"
#>
param(
    [switch]$KeepVenv,              # reuse build\venv if it exists
    [string]$Python = "python"      # Python 3.11+ used to create the venv
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest
$root = Split-Path -Parent $PSScriptRoot
Set-Location $root

function Fail([string]$Message) {
    Write-Host "build: ERROR: $Message" -ForegroundColor Red
    exit 1
}

# Native programs report failure through the exit code only; PowerShell 5.1 would also turn
# their stderr (PyInstaller logs there) into errors under "Stop", so relax it around them.
function Invoke-Native([string]$What, [scriptblock]$Command) {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = "Continue"
    try { & $Command } finally { $ErrorActionPreference = $saved }
    if ($LASTEXITCODE -ne 0) { Fail "$What failed (exit code $LASTEXITCODE)" }
}

function Get-SizeMB([string]$Path) {
    $bytes = (Get-ChildItem -LiteralPath $Path -Recurse -File | Measure-Object -Property Length -Sum).Sum
    "{0:N1} MB" -f ($bytes / 1MB)
}

$match = Select-String -Path "tray_app\__init__.py" -Pattern '^__version__ = "(.+)"$'
if (-not $match) { Fail "no __version__ in tray_app\__init__.py" }
$version = $match.Matches[0].Groups[1].Value
$arch = switch ($env:PROCESSOR_ARCHITECTURE) { "AMD64" { "x86_64" } "ARM64" { "arm64" } default { $env:PROCESSOR_ARCHITECTURE.ToLower() } }
$total = [Diagnostics.Stopwatch]::StartNew()

$venv = "build\venv"
$py = Join-Path $venv "Scripts\python.exe"
if (-not $KeepVenv -or -not (Test-Path $py)) {
    if (Test-Path $venv) { Remove-Item -Recurse -Force $venv }
    Write-Host "build: creating $venv with $Python"
    Invoke-Native "creating the venv" { & $Python -m venv $venv }
}
Invoke-Native "upgrading pip" { & $py -m pip install -q --upgrade pip }
# Not editable: the build must see exactly what a user installs (package data included).
Invoke-Native "pip install" { & $py -m pip install -q . "pyinstaller>=6.10,<7" }

$step = [Diagnostics.Stopwatch]::StartNew()
foreach ($old in "dist\token-monitor", "build\pyinstaller") {
    if (Test-Path $old) { Remove-Item -Recurse -Force $old }
}
Invoke-Native "pyinstaller" {
    & $py -m PyInstaller --noconfirm --clean --log-level WARN `
        --distpath dist --workpath build\pyinstaller packaging\token-monitor.spec
}
$pyinstallerTime = $step.Elapsed.TotalSeconds

$app = "dist\token-monitor"
foreach ($exe in "token-monitor.exe", "token-monitor-cli.exe") {
    if (-not (Test-Path (Join-Path $app $exe))) { Fail "no $app\$exe was built" }
}
$out = (& (Join-Path $app "token-monitor-cli.exe") --version | Out-String).Trim()
if ($LASTEXITCODE -ne 0 -or $out -ne "token-monitor $version") {
    Fail "token-monitor-cli.exe --version printed '$out', expected 'token-monitor $version'"
}
$timer = [Diagnostics.Stopwatch]::StartNew()
& (Join-Path $app "token-monitor-cli.exe") --version | Out-Null
$versionMs = $timer.ElapsedMilliseconds

$archive = "dist\token-monitor-$version-windows-$arch.zip"
if (Test-Path $archive) { Remove-Item -Force $archive }
Compress-Archive -Path $app -DestinationPath $archive -CompressionLevel Optimal

Write-Host "build: $out (--version in $versionMs ms)"
Write-Host ("build: pyinstaller {0:N1} s, total {1:N1} s" -f $pyinstallerTime, $total.Elapsed.TotalSeconds)
Write-Host "build: app dir   $(Get-SizeMB $app)  $app"
Write-Host ("build: archive   {0:N1} MB  {1}" -f ((Get-Item $archive).Length / 1MB), $archive)
Write-Host "build: try it:   $app\token-monitor-cli.exe status; then start $app\token-monitor.exe"
